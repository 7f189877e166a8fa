// The campaign editor's page: it loads the campaign (or the clinic's time zone for a new one),
// holds the form, saves it and places the server's errors beside their fields. Its fieldsets and
// the estimate and preview beside the form are in ./editor/.
import { useMemo, useState } from "react";
import { Link, useParams } from "react-router-dom";
import { useMutation, useQuery } from "urql";
import { graphql } from "../gql";
import "../lib/campaignFields";
import { formFieldOf, fromCampaign, newForm, toInput, type CampaignForm } from "../lib/campaignForm";
import { errorsByField, fieldErrorText, fieldName, type FieldError } from "../lib/errorCodes";
import { plural } from "../lib/format";
import { MessageLanguagesQuery, type Language } from "../lib/languages";
import { useSession } from "../session";
import { AudienceEstimateCard } from "./editor/AudienceEstimateCard";
import { Errors, Field } from "./editor/fields";
import { IncentiveFieldset } from "./editor/IncentiveFieldset";
import { MessagesFieldset } from "./editor/MessagesFieldset";
import { PreviewCard } from "./editor/PreviewCard";
import { ScheduleFieldset } from "./editor/ScheduleFieldset";
import { TargetingFieldset } from "./editor/TargetingFieldset";

const Load = graphql(`
  query EditCampaign($id: ID!) {
    campaign(id: $id) {
      id
      status
      ...CampaignFields
    }
    clinic {
      timezone
    }
  }
`);
const ClinicZone = graphql(`
  query ClinicZone {
    clinic {
      timezone
    }
  }
`);
const Create = graphql(`
  mutation CreateCampaign($input: CampaignInput!) {
    createCampaign(input: $input) {
      __typename
      ... on Campaign { id }
      ... on ValidationError { message fields { field message code } }
    }
  }
`);
const Update = graphql(`
  mutation UpdateCampaign($id: ID!, $input: CampaignInput!) {
    updateCampaign(id: $id, input: $input) {
      __typename
      ... on Campaign { id }
      ... on ValidationError { message fields { field message code } }
      ... on NotFound { message }
      ... on NotAllowed { message }
    }
  }
`);

export default function EditorPage() {
  const { id } = useParams();
  const [loaded] = useQuery({ query: Load, variables: { id: id ?? "" }, pause: !id, requestPolicy: "network-only" });
  const [zone] = useQuery({ query: ClinicZone, pause: !!id });
  if (id && loaded.fetching && !loaded.data) return <p className="loading">Loading the campaign…</p>;
  if (id && loaded.data && !loaded.data.campaign)
    return (
      <main className="page">
        <h1>Campaign not found</h1>
        <p>No campaign with this id exists in your clinic. <Link to="/">Back to campaigns</Link></p>
      </main>
    );
  const campaign = loaded.data?.campaign;
  const start = campaign ? fromCampaign(campaign) : newForm(zone.data?.clinic?.timezone ?? "America/Chicago");
  if (!id && zone.fetching) return <p className="loading">Loading…</p>;
  return <Editor key={id ?? "new"} id={id} status={campaign?.status} start={start} />;
}

function Editor({ id: loadedId, status, start }: { id?: string; status?: string; start: CampaignForm }) {
  const { can } = useSession();
  // a new draft keeps its page (and what it shows) once saved; only the address changes
  const [id, setId] = useState(loadedId);
  const [form, setForm] = useState(start);
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [saved, setSaved] = useState<string | null>(null);
  const [, create] = useMutation(Create);
  const [, update] = useMutation(Update);
  const [languageList] = useQuery({ query: MessageLanguagesQuery });
  const languages: Language[] = languageList.data?.messageLanguages ?? [];
  const editable = can.manage && (!status || status === "DRAFT");
  const byField = useMemo(() => {
    const grouped = new Map<string, FieldError[]>();
    for (const [path, list] of errorsByField(errors)) {
      const key = formFieldOf(path);
      grouped.set(key, [...(grouped.get(key) ?? []), ...list]);
    }
    return grouped;
  }, [errors]);

  const set = <K extends keyof CampaignForm>(key: K, value: CampaignForm[K]) => setForm((f) => ({ ...f, [key]: value }));

  async function save(then?: (id: string) => unknown) {
    setSaved(null);
    const input = toInput(form);
    const answer = id ? await update({ id, input }) : await create({ input });
    const data = answer.data as { updateCampaign?: unknown; createCampaign?: unknown } | undefined;
    const result = (data ? (data.updateCampaign ?? data.createCampaign) : null) as
      | { __typename: "Campaign"; id: string }
      | { __typename: "ValidationError"; message: string; fields: FieldError[] }
      | { __typename: "NotFound" | "NotAllowed"; message: string }
      | null;
    if (answer.error) {
      setSaved(`Not saved: ${answer.error.message}`);
      return;
    }
    if (!result) return;
    if (result.__typename === "ValidationError") {
      setErrors(result.fields);
      setSaved(`Not saved: ${plural(result.fields.length, "field")} to fix, marked below.`);
      return;
    }
    if (result.__typename !== "Campaign") {
      setSaved(`Not saved: ${result.message}`);
      return;
    }
    setErrors([]);
    setSaved("Saved.");
    if (!id) {
      setId(result.id);
      window.history.replaceState(window.history.state, "", `/console/campaigns/${result.id}/edit`);
    }
    if (then) then(result.id);
  }

  const fieldErrors = (key: string) => <Errors list={byField.get(key)} id={`err-${key}`} />;
  const unplaced = errors.filter((e) => !document.getElementById(`err-${formFieldOf(e.field)}`));

  return (
    <main className="page">
      <div className="title-row">
        <h1>{id ? `Edit “${start.name || form.name}”` : "New campaign"}</h1>
        <Link to="/">Back to campaigns</Link>
      </div>
      {!editable && (
        <p className="notice notice-warn" role="status">
          {can.manage ? "Only a draft can be edited." : "You can view campaigns but not change them."}
        </p>
      )}
      <div className="editor">
        <form
          onSubmit={(ev) => {
            ev.preventDefault();
            void save();
          }}
          aria-label="Campaign"
        >
          <fieldset disabled={!editable}>
            <legend>Campaign</legend>
            <Field label="Name" error={fieldErrors("name")}>
              <input value={form.name} onChange={(ev) => set("name", ev.target.value)} aria-describedby="err-name" />
            </Field>
            <Field label="Description (for your team)" error={fieldErrors("description")}>
              <input value={form.description} onChange={(ev) => set("description", ev.target.value)} />
            </Field>
          </fieldset>

          <TargetingFieldset form={form} set={set} setForm={setForm} fieldErrors={fieldErrors} editable={editable} />
          <MessagesFieldset form={form} set={set} setForm={setForm} fieldErrors={fieldErrors} editable={editable} languages={languages} />
          <ScheduleFieldset form={form} set={set} fieldErrors={fieldErrors} editable={editable} />
          <IncentiveFieldset form={form} set={set} fieldErrors={fieldErrors} editable={editable} />
          {unplaced.length > 0 && (
            <div className="notice notice-error" role="alert">
              {unplaced.map((err, i) => (
                <p key={i}>
                  {fieldName(err.field)}: {fieldErrorText(err)} <span className="muted">({err.message})</span>
                </p>
              ))}
            </div>
          )}
          {editable && (
            <div className="actions">
              {saved && (
                <span role="status" className={saved === "Saved." ? "" : "field-error"}>
                  {saved}
                </span>
              )}
              <button type="submit" className="primary">
                Save draft
              </button>
            </div>
          )}
        </form>

        <aside className="sticky" aria-label="Estimate and preview">
          <AudienceEstimateCard form={form} />
          <PreviewCard id={id} editable={editable} languages={languages} save={save} />
        </aside>
      </div>
    </main>
  );
}
