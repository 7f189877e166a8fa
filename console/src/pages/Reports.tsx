// Reports: the campaigns that ran during a date range with their figures and totals (GraphQL
// campaignSummary), and the same summary as a CSV file for the practice's spreadsheets.
import { useState } from "react";
import { Link } from "react-router-dom";
import { useQuery } from "urql";
import { ErrorNotice, UnavailableNotice } from "../components/Notice";
import { graphql } from "../gql";
import { download } from "../lib/download";
import { fieldErrorText } from "../lib/errorCodes";
import { count, money, roi } from "../lib/format";
import { defaultRange } from "../lib/reports";
import { useSession } from "../session";

const Summary = graphql(`
  query CampaignSummary($from: Date!, $to: Date!) {
    campaignSummary(from: $from, to: $to) {
      __typename
      ... on CampaignSummary {
        csvPath
        campaigns {
          campaign { id name status launchedAt }
          stats { targeted sent delivered responded rebooked unsubscribed revenueCents costCents roi }
        }
        totals { campaigns targeted sent responded rebooked revenueCents costCents roi }
      }
      ... on ValidationError { message fields { field message code } }
      ... on NotAvailable { message service }
    }
  }
`);

export default function ReportsPage() {
  const { token } = useSession();
  const [range, setRange] = useState(() => defaultRange(new Date()));
  const [asked, setAsked] = useState(range);
  const [problem, setProblem] = useState<string | null>(null);
  const [result] = useQuery({ query: Summary, variables: asked, requestPolicy: "cache-and-network" });
  const answer = result.data?.campaignSummary;
  const errorOf = (field: string) =>
    answer?.__typename === "ValidationError"
      ? answer.fields
          .filter((f) => f.field === field)
          .map((f) => (
            <p key={f.message} className="field-error" role="alert">
              {fieldErrorText(f)} ({f.message})
            </p>
          ))
      : null;

  return (
    <main className="page">
      <h1>Reports</h1>
      <form
        className="toolbar"
        aria-label="Date range"
        onSubmit={(ev) => {
          ev.preventDefault();
          setAsked(range);
        }}
      >
        <div>
          <label>
            From
            <input type="date" value={range.from} onChange={(ev) => setRange({ ...range, from: ev.target.value })} />
          </label>
          {errorOf("from")}
        </div>
        <div>
          <label>
            To
            <input type="date" value={range.to} onChange={(ev) => setRange({ ...range, to: ev.target.value })} />
          </label>
          {errorOf("to")}
        </div>
        <button type="submit" className="primary">
          Show
        </button>
        <button
          type="button"
          disabled={answer?.__typename !== "CampaignSummary"}
          onClick={async () => {
            if (answer?.__typename === "CampaignSummary") setProblem(await download(answer.csvPath, token, "campaigns.csv"));
          }}
        >
          Download CSV
        </button>
      </form>
      <p className="hint">Campaigns that were live at some time during the range (days in UTC), newest first.</p>
      {problem && <ErrorNotice>The download failed: {problem}</ErrorNotice>}
      {result.error && <ErrorNotice>The summary could not be loaded: {result.error.message}</ErrorNotice>}
      {answer?.__typename === "NotAvailable" && <UnavailableNotice outage={answer} />}
      {answer?.__typename === "CampaignSummary" && (
        <table className="table" aria-label="Campaign summary">
          <thead>
            <tr>
              <th scope="col">Campaign</th>
              <th scope="col" className="num">Targeted</th>
              <th scope="col" className="num">Sent</th>
              <th scope="col" className="num">Responded</th>
              <th scope="col" className="num">Rebooked</th>
              <th scope="col" className="num">Revenue</th>
              <th scope="col" className="num">Cost</th>
              <th scope="col" className="num">ROI</th>
            </tr>
          </thead>
          <tbody>
            {answer.campaigns.map(({ campaign: c, stats: s }) => (
              <tr key={c.id} data-testid="summary-row">
                <td>
                  <Link to={`/campaigns/${c.id}`}>{c.name}</Link> <span className="muted">{c.status.toLowerCase()}</span>
                </td>
                <td className="num">{count(s.targeted)}</td>
                <td className="num">{count(s.sent)}</td>
                <td className="num">{count(s.responded)}</td>
                <td className="num">{count(s.rebooked)}</td>
                <td className="num">{money(s.revenueCents)}</td>
                <td className="num">{money(s.costCents)}</td>
                <td className="num">{roi(s.roi)}</td>
              </tr>
            ))}
            {!answer.campaigns.length && (
              <tr>
                <td colSpan={8} className="muted">No campaign ran during these days.</td>
              </tr>
            )}
          </tbody>
          <tfoot>
            <tr data-testid="summary-totals">
              <th scope="row">{count(answer.totals.campaigns)} campaigns</th>
              <td className="num">{count(answer.totals.targeted)}</td>
              <td className="num">{count(answer.totals.sent)}</td>
              <td className="num">{count(answer.totals.responded)}</td>
              <td className="num">{count(answer.totals.rebooked)}</td>
              <td className="num">{money(answer.totals.revenueCents)}</td>
              <td className="num">{money(answer.totals.costCents)}</td>
              <td className="num">{roi(answer.totals.roi)}</td>
            </tr>
          </tfoot>
        </table>
      )}
    </main>
  );
}
