// The live audience estimate beside the form: how many patients the targeting selects (and
// holds out), each channel's reach, the recall buckets and who is left out and why. It follows
// the targeting, channels and household grouping as they are typed, 400 ms after the last
// change, and says how many messages the first step would send.
import { useEffect, useState } from "react";
import { useQuery } from "urql";
import { UnavailableNotice } from "../../components/Notice";
import { RecallBuckets } from "../../components/RecallBuckets";
import { graphql } from "../../gql";
import type { Channel } from "../../gql/graphql";
import { targetingOf, type CampaignForm } from "../../lib/campaignForm";
import { fieldErrorText } from "../../lib/errorCodes";
import { count } from "../../lib/format";
import { messagesLine } from "../../lib/households";

const REASONS: Record<string, string> = {
  DECEASED: "deceased",
  DO_NOT_CONTACT: "marked do-not-contact",
  UNSUBSCRIBED: "unsubscribed from these channels",
  VISITED_RECENTLY: "visited recently",
  RECALL_NOT_DUE: "not due for recall yet (or not overdue enough)",
  RECALL_OVERDUE_TOO_LONG: "overdue for recall longer than asked",
  UPCOMING_APPOINTMENT: "already have an appointment booked",
  TREATMENT_STAGE: "in another treatment stage",
  NO_SHOW: "missed their last appointment",
  DROPOUT: "dropped out of treatment",
  CONTACTED_RECENTLY: "contacted recently",
  TARGETED_BY_OTHER_CAMPAIGN: "targeted by another campaign in the last 30 days",
  ALREADY_ENROLLED: "already in this campaign",
  NO_REACHABLE_CHANNEL: "cannot be reached on these channels (no contact or consent)",
};

const Estimate = graphql(`
  query Estimate($targeting: TargetingInput!, $channels: [Channel!], $groupHouseholds: Boolean!) {
    audienceEstimate(targeting: $targeting, channels: $channels, groupHouseholds: $groupHouseholds) {
      __typename
      ... on AudienceEstimate {
        total
        targeted
        heldOut
        patients
        messages
        reach { channel patients }
        excluded { reason patients }
        recall { dueThisMonth overdue1To3Months overdue3To12Months overdue12PlusMonths notDue }
      }
      ... on ValidationError { message fields { field message code } }
      ... on NotAvailable { message service }
    }
  }
`);

export function AudienceEstimateCard({ form }: { form: CampaignForm }) {
  // the estimate follows the targeting, channels and grouping as they are typed (debounced)
  const targeting = JSON.stringify({ t: targetingOf(form), c: form.channels, g: form.groupHouseholds });
  const [debounced, setDebounced] = useState(targeting);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(targeting), 400);
    return () => clearTimeout(timer);
  }, [targeting]);
  const asked = JSON.parse(debounced) as { t: ReturnType<typeof targetingOf>; c: Channel[]; g: boolean };
  const [estimate] = useQuery({
    query: Estimate,
    variables: { targeting: asked.t, channels: asked.c, groupHouseholds: asked.g },
    pause: !asked.c.length || !(asked.t.inactiveDays > 0),
  });
  const e = estimate.data?.audienceEstimate;

  return (
    <section className="card" aria-labelledby="estimate-title" aria-live="polite">
      <h2 id="estimate-title">Audience estimate</h2>
      {estimate.fetching && <p className="muted">Counting…</p>}
      {e?.__typename === "NotAvailable" && <UnavailableNotice outage={e} />}
      {e?.__typename === "ValidationError" && <p className="field-error">{e.fields.map((f) => fieldErrorText(f)).join(" ")}</p>}
      {e?.__typename === "AudienceEstimate" && (
        <>
          <p>
            <strong data-testid="estimate-total">{count(e.total)}</strong> of {count(e.patients)} patients selected
            {e.heldOut ? ` (${count(e.targeted)} contacted, ${count(e.heldOut)} held out)` : ""}.
          </p>
          {e.messages != null && (
            <p data-testid="estimate-messages">{messagesLine(e.messages, e.targeted ?? e.total, asked.g)}</p>
          )}
          <ul data-testid="estimate-reach">
            {e.reach.map((r) => (
              <li key={r.channel}>
                {r.channel === "SMS" ? "SMS" : r.channel.toLowerCase().replace(/^./, (x) => x.toUpperCase())} reaches {count(r.patients)} of {count(e.total)}
              </li>
            ))}
          </ul>
          {e.recall && <RecallBuckets buckets={e.recall} />}
          {e.excluded.length > 0 && (
            <>
              <h3>Left out</h3>
              <ul data-testid="estimate-excluded">
                {e.excluded.map((x) => (
                  <li key={x.reason}>
                    {count(x.patients)} {REASONS[x.reason] ?? x.reason.toLowerCase().replace(/_/g, " ")}
                  </li>
                ))}
              </ul>
            </>
          )}
        </>
      )}
    </section>
  );
}
