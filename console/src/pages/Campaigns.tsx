import { useState } from "react";
import { Link } from "react-router-dom";
import { useQuery } from "urql";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { ErrorNotice } from "../components/Notice";
import { ProfileBanner } from "../components/ProfileBanner";
import { graphql } from "../gql";
import type { CampaignStatus } from "../gql/graphql";
import { count, date } from "../lib/format";
import { actionsFor } from "../lib/permissions";
import { useSession } from "../session";
import { LABEL, useCampaignActions } from "./campaigns/useCampaignActions";

const PAGE_SIZE = 50;
const STATUSES: CampaignStatus[] = ["DRAFT", "SCHEDULED", "ACTIVE", "PAUSED", "COMPLETED", "CANCELLED"];

const Campaigns = graphql(`
  query Campaigns($status: CampaignStatus, $first: Int, $after: String) {
    campaigns(status: $status, first: $first, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          name
          status
          channels
          targeting {
            inactiveDays
            treatmentStages
            includeNoShows
            includeDropouts
            excludeRecentContact
            excludeContactDays
          }
          schedule {
            startDate
            endDate
            sendTimes
            timezone
          }
          targetCount
          sentCount
          responseCount
          rebookedCount
          statsAvailable
        }
      }
    }
  }
`);

export function CampaignsPage() {
  const { can } = useSession();
  const [status, setStatus] = useState<CampaignStatus | "">("");
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const after = cursors[cursors.length - 1];
  const [result, refetch] = useQuery({
    query: Campaigns,
    variables: { status: status || null, first: PAGE_SIZE, after },
  });
  const { pending, setPending, outcome, busy, ask, confirm } = useCampaignActions(refetch);

  const page = result.data?.campaigns;

  return (
    <main className="page">
      <div className="title-row">
        <h1>Campaigns</h1>
        {can.manage && (
          <Link className="button primary" to="/campaigns/new">
            New campaign
          </Link>
        )}
      </div>
      <ProfileBanner />
      <div className="toolbar">
        <label>
          Status
          <select
            value={status}
            onChange={(e) => {
              setStatus(e.target.value as CampaignStatus | "");
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
        {page && <span aria-live="polite">{count(page.totalCount)} campaigns</span>}
      </div>
      {outcome && (
        <p className="notice" role="status">
          {outcome}
        </p>
      )}
      {result.error && <ErrorNotice>Campaigns could not be loaded: {result.error.message}</ErrorNotice>}
      {page && (
        <table className="table" aria-label="Campaigns">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Status</th>
              <th scope="col">Channels</th>
              <th scope="col">Dates</th>
              <th scope="col" className="num">Targeted</th>
              <th scope="col" className="num">Sent</th>
              <th scope="col" className="num">Responded</th>
              <th scope="col" className="num">Rebooked</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {page.edges.map(({ node }) => (
              <tr key={node.id} data-campaign={node.id}>
                <td>
                  {node.status === "DRAFT" && can.manage ? (
                    <Link to={`/campaigns/${node.id}/edit`}>{node.name}</Link>
                  ) : (
                    <Link to={`/campaigns/${node.id}`}>{node.name}</Link>
                  )}
                </td>
                <td>
                  <span className={`status status-${node.status.toLowerCase()}`}>{node.status.toLowerCase()}</span>
                </td>
                <td>{node.channels.map((c) => c.toLowerCase()).join(", ")}</td>
                <td>
                  {date(node.schedule.startDate, node.schedule.timezone)}
                  {node.schedule.endDate ? ` – ${date(node.schedule.endDate, node.schedule.timezone)}` : ""}
                </td>
                {node.statsAvailable ? (
                  <>
                    <td className="num">{count(node.targetCount)}</td>
                    <td className="num">{count(node.sentCount)}</td>
                    <td className="num">{count(node.responseCount)}</td>
                    <td className="num">
                      {count(node.rebookedCount)}
                      <RateBar part={node.rebookedCount} whole={node.sentCount} />
                    </td>
                  </>
                ) : (
                  <td colSpan={4} className="muted">
                    figures not available right now
                  </td>
                )}
                <td className="row-actions">
                  {actionsFor(node.status, can).map((action) => (
                    <button
                      key={action}
                      type="button"
                      className={action === "launch" ? "primary small" : "small"}
                      onClick={() => ask(node, action)}
                      aria-label={`${LABEL[action]} ${node.name}`}
                    >
                      {LABEL[action]}
                    </button>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {page && page.edges.length === 0 && <p className="muted">No campaigns{status ? ` with status ${status.toLowerCase()}` : ""} yet.</p>}
      <div className="pager">
        <button type="button" disabled={cursors.length <= 1} onClick={() => setCursors(cursors.slice(0, -1))}>
          Previous page
        </button>
        <button
          type="button"
          disabled={!page?.pageInfo.hasNextPage}
          onClick={() => page?.pageInfo.endCursor && setCursors([...cursors, page.pageInfo.endCursor])}
        >
          Next page
        </button>
      </div>
      {pending && (
        <ConfirmDialog
          title={`${LABEL[pending.action]} "${pending.row.name}"?`}
          sentence={pending.sentence}
          confirmLabel={LABEL[pending.action]}
          danger={pending.action === "cancel" || pending.action === "delete"}
          busy={busy}
          onConfirm={confirm}
          onCancel={() => setPending(null)}
        />
      )}
    </main>
  );
}

function RateBar({ part, whole }: { part: number; whole: number }) {
  if (!whole) return null;
  const share = Math.min(1, part / whole);
  return (
    <span className="ratebar" aria-hidden="true">
      <span style={{ width: `${Math.round(share * 100)}%` }} />
    </span>
  );
}
