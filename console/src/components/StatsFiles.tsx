// The dashboard's downloads: the campaign's figures as CSV, and the stats page as a PDF for the
// practice owner (both from the gateway's REST paths, the token in the header).
import { useState } from "react";
import { download } from "../lib/download";
import { useSession } from "../session";

export function StatsFiles({ campaignId }: { campaignId: string }) {
  const { token } = useSession();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const base = `/api/booking/campaigns/${encodeURIComponent(campaignId)}`;
  const get = async (suffix: string) => {
    setBusy(true);
    setProblem(await download(base + suffix, token, `stats-${campaignId}${suffix.slice(-4)}`));
    setBusy(false);
  };
  return (
    <>
      <button type="button" className="small" disabled={busy} onClick={() => get("/stats.csv")}>
        Stats CSV
      </button>
      <button type="button" className="small" disabled={busy} onClick={() => get("/stats.pdf")}>
        Stats PDF
      </button>
      {problem && (
        <span role="alert" className="field-error">
          The download failed: {problem}
        </span>
      )}
    </>
  );
}
