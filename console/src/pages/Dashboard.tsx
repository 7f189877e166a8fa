import { Link, useParams } from "react-router-dom";
import { StatsFiles } from "../components/StatsFiles";
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { useQuery, useSubscription } from "urql";
import { UnavailableNotice } from "../components/Notice";
import { graphql } from "../gql";
import type { LiveStatsSubscription } from "../gql/graphql";
import { describeComparison, describeLift } from "../lib/abText";
import { count, dateTime, money, percent, roi } from "../lib/format";

const Campaign = graphql(`
  query DashboardCampaign($id: ID!) {
    campaign(id: $id) {
      id
      name
      status
      channels
      schedule { startDate endDate sendTimes timezone }
      launchedAt
    }
  }
`);

const Live = graphql(`
  subscription LiveStats($id: ID!) {
    campaignStats(id: $id) {
      __typename
      ... on CampaignStats {
        campaignId
        targeted
        heldOut
        recipients
        contacted
        sent
        delivered
        failed
        responded
        interested
        clicked
        replied
        rebooked
        unsubscribed
        bounced
        messageCostCents
        incentiveCostCents
        revenueCents
        costCents
        roi
        rates { delivery response rebook unsubscribe bounce }
        byChannel { channel sent delivered failed costCents }
        byStep { sequence channel sent delivered failed }
        byVariant { variant recipients sent responded rebooked rates { response rebook } }
        abTests { metric variantA variantB rateA rateB pValue significant winner }
        lift { heldOut holdoutRebooked holdoutRebookRate treatedRebookRate absoluteLift incrementalRebookings pValue significant }
      }
      ... on NotFound { message }
      ... on NotAvailable { message service }
    }
  }
`);

type Stats = Extract<LiveStatsSubscription["campaignStats"], { __typename: "CampaignStats" }>;

export default function DashboardPage() {
  const { id = "" } = useParams();
  const [campaign] = useQuery({ query: Campaign, variables: { id } });
  const [live] = useSubscription({ query: Live, variables: { id } });
  const c = campaign.data?.campaign;
  if (campaign.data && !c)
    return (
      <main className="page">
        <h1>Campaign not found</h1>
        <p>
          No campaign with this id exists in your clinic. <Link to="/">Back to campaigns</Link>
        </p>
      </main>
    );
  const stats = live.data?.campaignStats;
  return (
    <main className="page">
      <div className="title-row">
        <h1>{c ? c.name : "Campaign"}</h1>
        <nav aria-label="Campaign pages" className="toolbar">
          <Link to={`/campaigns/${id}/recipients`}>Recipients</Link>
          <StatsFiles campaignId={id} />
          <Link to="/">Back to campaigns</Link>
        </nav>
      </div>
      {c && (
        <p className="muted">
          <span className={`status status-${c.status.toLowerCase()}`}>{c.status.toLowerCase()}</span> ·{" "}
          {c.channels.map((x) => x.toLowerCase()).join(", ")} · launched {dateTime(c.launchedAt, c.schedule.timezone)} · sends at{" "}
          {c.schedule.sendTimes.join(", ")} {c.schedule.timezone}
        </p>
      )}
      <section aria-labelledby="figures-title">
        <h2 id="figures-title">Results {stats?.__typename === "CampaignStats" && <span className="muted">(live)</span>}</h2>
        {stats?.__typename === "NotAvailable" && <UnavailableNotice outage={stats} />}
        {live.error && !stats && <UnavailableNotice outage={{ message: live.error.message, service: "tracking-svc" }} />}
        {stats?.__typename === "NotFound" && <p>No figures for this campaign.</p>}
        {!stats && !live.error && <p className="muted">Connecting to live figures…</p>}
        {stats?.__typename === "CampaignStats" && <Figures stats={stats} />}
      </section>
    </main>
  );
}

function Figures({ stats }: { stats: Stats }) {
  const funnel = [
    { stage: "Targeted", patients: stats.targeted - stats.heldOut },
    { stage: "Sent", patients: stats.contacted },
    { stage: "Responded", patients: stats.responded },
    { stage: "Rebooked", patients: stats.rebooked },
  ];
  return (
    <>
      <div className="figures">
        <Figure label="Targeted" value={count(stats.targeted)} note={`${count(stats.heldOut)} held out`} testId="figure-targeted" />
        <Figure label="Messages sent" value={count(stats.sent)} note={`${percent(stats.rates.delivery)} delivered`} testId="figure-sent" />
        <Figure label="Responded" value={count(stats.responded)} note={`${percent(stats.rates.response)} of contacted`} testId="figure-responded" />
        <Figure label="Rebooked" value={count(stats.rebooked)} note={`${percent(stats.rates.rebook)} of contacted`} testId="figure-rebooked" />
        <Figure label="Revenue" value={money(stats.revenueCents)} note="from rebooked appointments" />
        <Figure label="Cost" value={money(stats.costCents)} note={`${money(stats.messageCostCents)} messages, ${money(stats.incentiveCostCents)} incentives`} />
        <Figure label="ROI" value={roi(stats.roi)} note="(revenue − cost) / cost" />
        <Figure label="Opted out or bounced" value={count(stats.unsubscribed + stats.bounced)} note={`${count(stats.unsubscribed)} unsubscribed`} />
      </div>
      <div className="grid2">
        <section className="card" aria-labelledby="funnel-title">
          <h3 id="funnel-title">Funnel</h3>
          <div role="img" aria-label={funnel.map((f) => `${f.stage} ${f.patients}`).join(", ")}>
            <ResponsiveContainer width="100%" height={220}>
              <BarChart data={funnel}>
                <CartesianGrid strokeDasharray="3 3" />
                <XAxis dataKey="stage" />
                <YAxis allowDecimals={false} />
                <Tooltip />
                <Bar dataKey="patients" fill="#0b5cad" isAnimationActive={false} />
              </BarChart>
            </ResponsiveContainer>
          </div>
        </section>
        <section className="card" aria-labelledby="channel-title">
          <h3 id="channel-title">By channel</h3>
          <div role="img" aria-label={stats.byChannel.map((b) => `${b.channel}: ${b.sent} sent`).join(", ") || "nothing sent yet"}>
            <ResponsiveContainer width="100%" height={220}>
              <BarChart data={stats.byChannel.map((b) => ({ channel: b.channel?.toLowerCase(), sent: b.sent, delivered: b.delivered, failed: b.failed }))}>
                <CartesianGrid strokeDasharray="3 3" />
                <XAxis dataKey="channel" />
                <YAxis allowDecimals={false} />
                <Tooltip />
                <Legend />
                <Bar dataKey="sent" fill="#0b5cad" isAnimationActive={false} />
                <Bar dataKey="delivered" fill="#1e7a3c" isAnimationActive={false} />
                <Bar dataKey="failed" fill="#b3261e" isAnimationActive={false} />
              </BarChart>
            </ResponsiveContainer>
          </div>
        </section>
      </div>
      <section className="card" aria-labelledby="steps-title">
        <h3 id="steps-title">By step</h3>
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Step</th>
              <th scope="col">Channel</th>
              <th scope="col" className="num">Sent</th>
              <th scope="col" className="num">Delivered</th>
              <th scope="col" className="num">Failed</th>
            </tr>
          </thead>
          <tbody>
            {stats.byStep.map((s) => (
              <tr key={`${s.sequence}-${s.channel}`}>
                <td>{s.sequence}</td>
                <td>{s.channel?.toLowerCase()}</td>
                <td className="num">{count(s.sent)}</td>
                <td className="num">{count(s.delivered)}</td>
                <td className="num">{count(s.failed)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section className="card" aria-labelledby="ab-title">
        <h3 id="ab-title">Variants and holdout</h3>
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Variant</th>
              <th scope="col" className="num">Recipients</th>
              <th scope="col" className="num">Sent</th>
              <th scope="col" className="num">Response rate</th>
              <th scope="col" className="num">Rebooking rate</th>
            </tr>
          </thead>
          <tbody>
            {stats.byVariant.map((v) => (
              <tr key={v.variant}>
                <td>{v.variant}</td>
                <td className="num">{count(v.recipients)}</td>
                <td className="num">{count(v.sent)}</td>
                <td className="num">{percent(v.rates.response)}</td>
                <td className="num">{percent(v.rates.rebook)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {stats.abTests.map((t) => (
          <p key={`${t.metric}-${t.variantA}-${t.variantB}`}>{describeComparison(t)}</p>
        ))}
        {stats.abTests.length === 0 && <p className="muted">One variant: no A/B comparison.</p>}
        <p data-testid="lift">{describeLift(stats.lift)}</p>
      </section>
    </>
  );
}

function Figure({ label, value, note, testId }: { label: string; value: string; note?: string; testId?: string }) {
  return (
    <div className="figure">
      <div className="label">{label}</div>
      <div className="value" data-testid={testId}>
        {value}
      </div>
      {note && <div className="muted">{note}</div>}
    </div>
  );
}
