import type { ReactNode } from "react";
import type { RecallForm } from "../lib/recall";

/** The targeting form's recall criterion: due (this month or overdue), overdue by at least /
 * less than so many months, due since a date. Errors sit under each field by its name. */
export function RecallFields({
  value,
  onChange,
  errorFor,
}: {
  value: RecallForm;
  onChange: (next: RecallForm) => void;
  errorFor: (field: string) => ReactNode;
}) {
  const set = <K extends keyof RecallForm>(key: K, v: RecallForm[K]) => onChange({ ...value, [key]: v });
  return (
    <div role="group" aria-labelledby="recall-title">
      <label className="inline">
        <input type="checkbox" checked={value.on} onChange={(ev) => set("on", ev.target.checked)} />
        <span id="recall-title">Only patients whose recall is due (last visit + their recall interval, 6 months by default)</span>
      </label>
      {value.on && (
        <div className="grid2">
          <div>
            <label>
              Overdue by at least (months; 0: due this month)
              <input
                type="number"
                min={0}
                value={Number.isNaN(value.overdueByMonths) ? "" : value.overdueByMonths}
                onChange={(ev) => set("overdueByMonths", ev.target.valueAsNumber)}
                aria-describedby="err-overdueByMonths"
              />
            </label>
            {errorFor("overdueByMonths")}
          </div>
          <div>
            <label>
              …and by less than (months; empty: no limit)
              <input
                type="number"
                min={1}
                value={value.maxOverdueMonths}
                onChange={(ev) => set("maxOverdueMonths", ev.target.value)}
                aria-describedby="err-maxOverdueMonths"
              />
            </label>
            {errorFor("maxOverdueMonths")}
          </div>
          <div>
            <label>
              Due since (empty: any date)
              <input type="date" value={value.dueSince} onChange={(ev) => set("dueSince", ev.target.value)} aria-describedby="err-dueSince" />
            </label>
            {errorFor("dueSince")}
          </div>
        </div>
      )}
    </div>
  );
}
