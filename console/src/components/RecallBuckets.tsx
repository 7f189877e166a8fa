import { count } from "../lib/format";
import { recallLines, type RecallBuckets as Buckets } from "../lib/recall";

/** The estimate's selected patients by how overdue their recall is. */
export function RecallBuckets({ buckets }: { buckets: Buckets }) {
  return (
    <>
      <h3>Recall</h3>
      <ul data-testid="estimate-recall">
        {recallLines(buckets).map((line) => (
          <li key={line.key} data-bucket={line.key}>
            {count(line.patients)} {line.label}
          </li>
        ))}
      </ul>
    </>
  );
}
