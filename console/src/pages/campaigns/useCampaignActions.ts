// The campaigns page's row actions: "Edit" opens the editor; every other one is first put in a
// sentence saying what it will do (a launch counts its patients with a fresh estimate), then run
// once confirmed, its outcome said in words and the page's list fetched again.
import { useState } from "react";
import { useNavigate } from "react-router-dom";
import { useClient, useMutation, type UseQueryExecute } from "urql";
import { graphql } from "../../gql";
import type { CampaignsQuery } from "../../gql/graphql";
import { launchSentence } from "../../lib/format";
import type { CampaignAction } from "../../lib/permissions";

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

export const LABEL: Record<CampaignAction, string> = {
  edit: "Edit",
  duplicate: "Duplicate",
  delete: "Delete",
  launch: "Launch",
  pause: "Pause",
  resume: "Resume",
  cancel: "Cancel",
};

export function useCampaignActions(refetch: UseQueryExecute) {
  const navigate = useNavigate();
  const client = useClient();
  const [pending, setPending] = useState<Pending | null>(null);
  const [outcome, setOutcome] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [, launch] = useMutation(Act.launch);
  const [, pause] = useMutation(Act.pause);
  const [, resume] = useMutation(Act.resume);
  const [, cancel] = useMutation(Act.cancel);
  const [, remove] = useMutation(Act.delete);
  const [, duplicate] = useMutation(Act.duplicate);

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

  return { pending, setPending, outcome, busy, ask, confirm };
}
