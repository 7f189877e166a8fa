import { useState } from "react";
import { Link, useNavigate } from "react-router-dom";
import { useClient, useMutation, useQuery } from "urql";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { ErrorNotice } from "../components/Notice";
import { ProfileBanner } from "../components/ProfileBanner";
import { graphql } from "../gql";
import type { CampaignStatus, CampaignsQuery } from "../gql/graphql";
import { count, date, launchSentence } from "../lib/format";
import { actionsFor, type CampaignAction } from "../lib/permissions";
import { useSession } from "../session";

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

const LaunchEstimate = graphql(`
  query LaunchEstimate($targeting: TargetingInput!, $channels: [Channel!]) {
    audienceEstimate(targeting: $targeting, channels: $channels) {
      __typename
      ... on AudienceEstimate {
        targeted
        total
      }
    }
  }
`);

const Act = {
  launch: graphql(`
    mutation Launch($id: ID!) {
      launchCampaign(id: $id) {
        __typename
        ... on Campaign { id status }
        ... on ValidationError { message fields { field message code } }
        ... on NotFound { message }
        ... on NotAllowed { message }
      }
    }
  `),
  pause: graphql(`
    mutation Pause($id: ID!) {
      pauseCampaign(id: $id) {
        __typename
        ... on Campaign { id status }
        ... on ValidationError { message }
        ... on NotFound { message }
        ... on NotAllowed { message }
      }
    }
  `),
  resume: graphql(`
    mutation Resume($id: ID!) {
      resumeCampaign(id: $id) {
        __typename
        ... on Campaign { id status }
        ... on ValidationError { message }
        ... on NotFound { message }
        ... on NotAllowed { message }
      }
    }
  `),
  cancel: graphql(`
    mutation Cancel($id: ID!) {
      cancelCampaign(id: $id) {
        __typename
        ... on Campaign { id status }
        ... on ValidationError { message }
        ... on NotFound { message }
        ... on NotAllowed { message }
      }
    }
  `),
  delete: graphql(`
    mutation Delete($id: ID!) {
      deleteCampaign(id: $id) {
        __typename
        ... on DeletedCampaign { id }
        ... on NotFound { message }
        ... on NotAllowed { message }
      }
    }
  `),
  duplicate: graphql(`
    mutation Duplicate($id: ID!) {
      duplicateCampaign(id: $id) {
        __typename
        ... on Campaign { id status }
        ... on NotFound { message }
        ... on NotAllowed { message }
      }
    }
  `),
};

type Row = NonNullable<CampaignsQuery["campaigns"]>["edges"][number]["node"];
type Pending = { row: Row; action: Exclude<CampaignAction, "edit">; sentence: string };

const LABEL: Record<CampaignAction, string> = {
  edit: "Edit",
  duplicate: "Duplicate",
  delete: "Delete",
  launch: "Launch",
  pause: "Pause",
  resume: "Resume",
  cancel: "Cancel",
};

export function CampaignsPage() {
  const { can } = useSession();
  const navigate = useNavigate();
  const client = useClient();
  const [status, setStatus] = useState<CampaignStatus | "">("");
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const after = cursors[cursors.length - 1];
  const [result, refetch] = useQuery({
    query: Campaigns,
    variables: { status: status || null, first: PAGE_SIZE, after },
  });
  const [pending, setPending] = useState<Pending | null>(null);
  const [outcome, setOutcome] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [, launch] = useMutation(Act.launch);
  const [, pause] = useMutation(Act.pause);
  const [, resume] = useMutation(Act.resume);
  const [, cancel] = useMutation(Act.cancel);
  const [, remove] = useMutation(Act.delete);
  const [, duplicate] = useMutation(Act.duplicate);

  const page = result.data?.campaigns;

  async function ask(row: Row, action: CampaignAction) {
    setOutcome(null);
    if (action === "edit") return navigate(`/campaigns/${row.id}/edit`);
    let sentence = "";
    if (action === "launch") {
      const estimate = await client
        .query(LaunchEstimate, { targeting: row.targeting, channels: row.channels }, { requestPolicy: "network-only" })
        .toPromise();
      const e = estimate.data?.audienceEstimate;
      sentence = launchSentence(e?.__typename === "AudienceEstimate" ? (e.targeted ?? e.total) : null, row.schedule);
    } else if (action === "pause") sentence = `Pausing holds every message of "${row.name}" until you resume it.`;
    else if (action === "resume") sentence = `Resuming sends "${row.name}"'s held messages at its next send times.`;
    else if (action === "cancel")
      sentence = `Cancelling stops "${row.name}" for good: no further message is sent, and it cannot be restarted.`;
    else if (action === "delete") sentence = `Deleting removes the draft "${row.name}". This cannot be undone.`;
    else if (action === "duplicate") sentence = `Duplicating makes a new draft with "${row.name}"'s targeting and messages.`;
    setPending({ row, action, sentence });
  }

  async function confirm() {
    if (!pending) return;
    setBusy(true);
    const { row, action } = pending;
    const run = { launch, pause, resume, cancel, delete: remove, duplicate }[action];
    const answer = await run({ id: row.id }, { additionalTypenames: ["Campaign"] });
    setBusy(false);
    setPending(null);
    const data = answer.data ? Object.values(answer.data)[0] : null;
    if (answer.error) setOutcome(`"${row.name}" could not be changed: ${answer.error.message}`);
    else if (data && "__typename" in data && data.__typename !== "Campaign" && data.__typename !== "DeletedCampaign") {
      const detail = "message" in data ? data.message : "";
      const fields =
        data.__typename === "ValidationError" && "fields" in data
          ? (data.fields as { message: string }[]).map((f) => f.message).join("; ")
          : "";
      setOutcome(`"${row.name}" could not be changed: ${detail}${fields ? ` (${fields})` : ""}`);
    } else if (action === "duplicate" && data && data.__typename === "Campaign") navigate(`/campaigns/${data.id}/edit`);
    else setOutcome(`"${row.name}": ${LABEL[action].toLowerCase()} done.`);
    refetch({ requestPolicy: "network-only" });
  }

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
