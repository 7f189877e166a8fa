import { useState } from "react";
import { Link, useParams } from "react-router-dom";
import { useQuery } from "urql";
import { ErrorNotice, UnavailableNotice } from "../components/Notice";
import { graphql } from "../gql";
import { download } from "../lib/download";
import { count, dateTime } from "../lib/format";
import { useSession } from "../session";

const PAGE = 50;
const STATUSES = ["PENDING", "CONTACTED", "RESPONDED", "REBOOKED", "UNSUBSCRIBED", "BOUNCED"];

const Recipients = graphql(`
  query Recipients($id: ID!, $status: String, $first: Int, $after: String) {
    campaignRecipients(campaignId: $id, status: $status, first: $first, after: $after) {
      __typename
      ... on RecipientConnection {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges {
          node {
            patientId
            name
            status
            response
            variant
            channel
            lastContactedAt
            contactAttempts
            respondedAt
            rebookedAppointmentId
            replies { text at }
          }
        }
      }
      ... on NotFound { message }
      ... on NotAvailable { message service }
    }
  }
`);

export default function RecipientsPage() {
  const { id = "" } = useParams();
  const { token } = useSession();
  const [exportError, setExportError] = useState<string | null>(null);
  const [status, setStatus] = useState("");
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [exporting, setExporting] = useState(false);
  const [result] = useQuery({
    query: Recipients,
    variables: { id, status: status || null, first: PAGE, after: cursors[cursors.length - 1] },
  });
  const answer = result.data?.campaignRecipients;

  // the gateway streams every recipient (any number) as CSV, a page of tracking-svc at a time
  async function exportCsv() {
    setExporting(true);
    const query = status ? `?status=${encodeURIComponent(status)}` : "";
    const path = `/api/booking/campaigns/${encodeURIComponent(id)}/recipients.csv${query}`;
    setExportError(await download(path, token, `recipients-${id}.csv`));
    setExporting(false);
  }

  return (
    <main className="page">
      <div className="title-row">
        <h1>Recipients</h1>
        <nav aria-label="Campaign pages" className="toolbar">
          <Link to={`/campaigns/${id}`}>Dashboard</Link>
          <Link to="/">Back to campaigns</Link>
        </nav>
      </div>
      <div className="toolbar">
        <label>
          Status
          <select
            value={status}
            onChange={(e) => {
              setStatus(e.target.value);
              setCursors([null]);
            }}
          >
            <option value="">All</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s.toLowerCase()}
              </option>
            ))}
          </select>
        </label>
        {answer?.__typename === "RecipientConnection" && <span>{count(answer.totalCount)} recipients</span>}
        <button type="button" onClick={exportCsv} disabled={exporting || answer?.__typename !== "RecipientConnection"}>
          {exporting ? "Exporting…" : "Export CSV"}
        </button>
      </div>
      {exportError && <ErrorNotice>The export failed: {exportError}</ErrorNotice>}
      {result.error && <ErrorNotice>Recipients could not be loaded: {result.error.message}</ErrorNotice>}
      {answer?.__typename === "NotAvailable" && <UnavailableNotice outage={answer} />}
      {answer?.__typename === "NotFound" && <p>No such campaign in your clinic.</p>}
      {answer?.__typename === "RecipientConnection" && (
        <table className="table" aria-label="Recipients">
          <thead>
            <tr>
              <th scope="col">Patient</th>
              <th scope="col">Status</th>
              <th scope="col">Last contact</th>
              <th scope="col" className="num">Attempts</th>
              <th scope="col">Response</th>
              <th scope="col">Rebooked appointment</th>
            </tr>
          </thead>
          <tbody>
            {answer.edges.map(({ node: r }) => (
              <tr key={r.patientId}>
                <td>
                  {r.name ?? r.patientId} <span className="muted">{r.patientId}</span>
                </td>
                <td>{r.status.toLowerCase()}</td>
                <td>{dateTime(r.lastContactedAt)}</td>
                <td className="num">{r.contactAttempts}</td>
                <td>
                  {r.response ? r.response.toLowerCase().replace(/_/g, " ") : "—"}
                  {r.replies.length > 0 && <span className="muted"> “{r.replies[r.replies.length - 1].text}”</span>}
                </td>
                <td>{r.rebookedAppointmentId ?? "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div className="pager">
        <button type="button" disabled={cursors.length <= 1} onClick={() => setCursors(cursors.slice(0, -1))}>
          Previous page
        </button>
        <button
          type="button"
          disabled={answer?.__typename !== "RecipientConnection" || !answer.pageInfo.hasNextPage}
          onClick={() => answer?.__typename === "RecipientConnection" && answer.pageInfo.endCursor && setCursors([...cursors, answer.pageInfo.endCursor])}
        >
          Next page
        </button>
      </div>
    </main>
  );
}
