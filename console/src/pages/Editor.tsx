import { useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { Link, useParams } from "react-router-dom";
import { useMutation, useQuery } from "urql";
import { MessagePreview } from "../components/MessagePreview";
import { UnavailableNotice } from "../components/Notice";
import { RecallBuckets } from "../components/RecallBuckets";
import { RecallFields } from "../components/RecallFields";
import { StepTranslations } from "../components/StepTranslations";
import { graphql } from "../gql";
import type { Channel } from "../gql/graphql";
import "../lib/campaignFields";
import { ChannelFallbackFields } from "../components/ChannelFallbackFields";
import { formFieldOf, fromCampaign, MERGE_FIELDS, newForm, targetingOf, toInput, type CampaignForm, type StepForm } from "../lib/campaignForm";
import { errorsByField, fieldErrorText, fieldName, type FieldError } from "../lib/errorCodes";
import { count, plural } from "../lib/format";
import { messagesLine } from "../lib/households";
import { fallbackNote, languageLabel, MessageLanguagesQuery, type Language } from "../lib/languages";
import { recallFormOf } from "../lib/recall";
import { describeSms, smsSize } from "../lib/sms";
import { TREATMENT_STAGES } from "../lib/stages";
import { useSession } from "../session";

const CHANNELS: Channel[] = ["EMAIL", "SMS", "MAIL"];
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
const Audiences = graphql(`
  query EditorAudiences {
    savedAudiences {
      id
      name
      targeting {
        inactiveDays treatmentStages includeNoShows includeDropouts excludeRecentContact excludeContactDays
        recall { dueSince overdueByMonths maxOverdueMonths }
      }
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
const Preview = graphql(`
  mutation Preview($id: ID!, $patientId: ID, $language: String) {
    previewCampaign(id: $id, patientId: $patientId, language: $language) {
      __typename
      ... on CampaignPreview {
        language
        messages { channel sequence variant language subject body html sms { encoding characters segments } }
      }
      ... on ValidationError { message fields { field message code } }
      ... on NotFound { message }
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
  const [previewResult, preview] = useMutation(Preview);
  const [previewPatient, setPreviewPatient] = useState("");
  const [previewLanguage, setPreviewLanguage] = useState(""); // "": the patient's, else the default
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
  const [audiences] = useQuery({ query: Audiences, requestPolicy: "cache-and-network" });
  const savedAudiences = audiences.data?.savedAudiences ?? [];
  // choosing a saved audience shows its targeting (the server takes it from the audience)
  const chooseAudience = (audienceId: string) => {
    const chosen = savedAudiences.find((a) => a.id === audienceId);
    setForm((f) =>
      chosen
        ? { ...f, ...chosen.targeting, treatmentStages: [...chosen.targeting.treatmentStages], recall: recallFormOf(chosen.targeting.recall), savedAudienceId: chosen.id }
        : { ...f, savedAudienceId: "" },
    );
  };
  const setStep = (index: number, change: Partial<StepForm>) =>
    setForm((f) => ({ ...f, steps: f.steps.map((s, i) => (i === index ? { ...s, ...change } : s)) }));

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

  async function showPreview() {
    await save((savedId) => preview({ id: savedId, patientId: previewPatient || null, language: previewLanguage || null }));
  }

  const fieldErrors = (key: string) => <Errors list={byField.get(key)} id={`err-${key}`} />;
  const unplaced = errors.filter((e) => !document.getElementById(`err-${formFieldOf(e.field)}`));
  const e = estimate.data?.audienceEstimate;
  const previewData = previewResult.data?.previewCampaign;

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

          <fieldset disabled={!editable}>
            <legend>Who it reaches</legend>
            <Field label="Saved audience" error={fieldErrors("savedAudienceId")}>
              <select value={form.savedAudienceId} onChange={(ev) => chooseAudience(ev.target.value)} aria-describedby="err-savedAudienceId">
                <option value="">None: the targeting below</option>
                {savedAudiences.map((a) => (
                  <option key={a.id} value={a.id}>
                    {a.name}
                  </option>
                ))}
              </select>
            </Field>
            {form.savedAudienceId && (
              <p className="hint" data-testid="audience-note">
                The targeting comes from this saved audience, again when the campaign is saved and launched; edit it on the Audiences page.
              </p>
            )}
            <fieldset className="plain" disabled={!!form.savedAudienceId}>
            <div className="grid2">
              <Field label="Last visit at least this many days ago" error={fieldErrors("inactiveDays")}>
                <input
                  type="number"
                  min={1}
                  value={Number.isNaN(form.inactiveDays) ? "" : form.inactiveDays}
                  onChange={(ev) => set("inactiveDays", ev.target.valueAsNumber)}
                  aria-describedby="err-inactiveDays"
                />
              </Field>
            </div>
            <RecallFields value={form.recall} onChange={(recall) => set("recall", recall)} errorFor={fieldErrors} />
            <div role="group" aria-labelledby="stages-title">
              <strong id="stages-title">Treatment stages (none checked: every stage)</strong>
              <div className="chips">
                {TREATMENT_STAGES.map((stage) => (
                  <label className="inline" key={stage.value}>
                    <input
                      type="checkbox"
                      checked={form.treatmentStages.includes(stage.value)}
                      onChange={(ev) =>
                        set(
                          "treatmentStages",
                          ev.target.checked ? [...form.treatmentStages, stage.value] : form.treatmentStages.filter((x) => x !== stage.value),
                        )
                      }
                    />
                    {stage.label}
                  </label>
                ))}
              </div>
              {fieldErrors("treatmentStages")}
            </div>
            <label className="inline">
              <input type="checkbox" checked={form.includeNoShows} onChange={(ev) => set("includeNoShows", ev.target.checked)} />
              Include patients who missed their last appointment
            </label>
            <label className="inline">
              <input type="checkbox" checked={form.includeDropouts} onChange={(ev) => set("includeDropouts", ev.target.checked)} />
              Include patients who dropped out of treatment
            </label>
            <div className="grid2">
              <label className="inline">
                <input type="checkbox" checked={form.excludeRecentContact} onChange={(ev) => set("excludeRecentContact", ev.target.checked)} />
                Leave out patients contacted recently
              </label>
              <Field label="Recently means within (days)" error={fieldErrors("excludeContactDays")}>
                <input type="number" min={0} value={form.excludeContactDays} onChange={(ev) => set("excludeContactDays", ev.target.valueAsNumber)} />
              </Field>
            </div>
            </fieldset>
            <div role="group" aria-label="Channels">
              <strong>Channels</strong>
              <div className="chips">
                {CHANNELS.map((c) => (
                  <label className="inline" key={c}>
                    <input
                      type="checkbox"
                      checked={form.channels.includes(c)}
                      onChange={(ev) => set("channels", ev.target.checked ? [...form.channels, c] : form.channels.filter((x) => x !== c))}
                    />
                    {c.toLowerCase()}
                  </label>
                ))}
              </div>
              {fieldErrors("channels")}
            </div>
          </fieldset>

          <fieldset disabled={!editable}>
            <legend>Messages</legend>
            <Field label="Language of each step’s own template" error={fieldErrors("defaultLanguage")}>
              <select value={form.defaultLanguage} onChange={(ev) => set("defaultLanguage", ev.target.value)} aria-describedby="err-defaultLanguage">
                {(languages.length ? languages : [{ code: form.defaultLanguage, name: form.defaultLanguage, nativeName: form.defaultLanguage }]).map((l) => (
                  <option key={l.code} value={l.code}>
                    {languageLabel(l.code, languages)}
                  </option>
                ))}
              </select>
            </Field>
            <p className="hint">A step may add templates in other languages; each patient gets the one in their preferred language, else this one.</p>
            {form.steps.map((step, index) => (
              <StepEditor
                key={index}
                index={index}
                step={step}
                channels={form.channels}
                variants={form.variants.map((v) => v.name)}
                defaultLanguage={form.defaultLanguage}
                languages={languages}
                onChange={(change) => setStep(index, change)}
                onRemove={() => set("steps", form.steps.filter((_, i) => i !== index))}
                errorsOf={(part) => fieldErrors(`messageTemplates.${index}.${part}`)}
              />
            ))}
            <button
              type="button"
              onClick={() => set("steps", [...form.steps, { channel: form.channels[0] ?? "EMAIL", subject: "", body: "", delayDays: 3, variant: "A", translations: [] }])}
            >
              Add a step
            </button>
            <ChannelFallbackFields value={form.fallback} onChange={(rules) => set("fallback", rules)} errorsOf={fieldErrors} />
            <label className="inline">
              <input
                type="checkbox"
                checked={form.groupHouseholds}
                onChange={(ev) => set("groupHouseholds", ev.target.checked)}
                aria-describedby="households-hint err-groupHouseholds"
              />
              One message per household
            </label>
            <p className="hint" id="households-hint">
              Patients who share a step’s contact (siblings with one guardian) get one message naming them all, with household.names and household.size; unticked, each patient gets their own.
            </p>
            {fieldErrors("groupHouseholds")}
            <h3>Variants (A/B) and holdout</h3>
            {form.variants.map((v, i) => (
              <div className="grid3" key={i}>
                <Field label={`Variant ${i + 1} name`}>
                  <input value={v.name} onChange={(ev) => set("variants", form.variants.map((x, j) => (j === i ? { ...x, name: ev.target.value } : x)))} />
                </Field>
                <Field label={`Variant ${i + 1} weight`}>
                  <input type="number" min={1} value={v.weight} onChange={(ev) => set("variants", form.variants.map((x, j) => (j === i ? { ...x, weight: ev.target.valueAsNumber } : x)))} />
                </Field>
                {i > 0 && (
                  <button type="button" onClick={() => set("variants", form.variants.filter((_, j) => j !== i))}>
                    Remove variant {v.name}
                  </button>
                )}
              </div>
            ))}
            {fieldErrors("variants")}
            <button type="button" onClick={() => set("variants", [...form.variants, { name: String.fromCharCode(65 + form.variants.length), weight: 1 }])}>
              Add a variant
            </button>
            <Field label="Holdout: share of patients who get nothing, to measure the lift (%)" error={fieldErrors("holdoutPercent")}>
              <input type="number" min={0} max={50} step={1} value={form.holdoutPercent} onChange={(ev) => set("holdoutPercent", ev.target.valueAsNumber)} />
            </Field>
          </fieldset>

          <fieldset disabled={!editable}>
            <legend>Schedule</legend>
            <div className="grid2">
              <Field label="Start (empty: when launched)" error={fieldErrors("startDate")}>
                <input type="datetime-local" value={form.startDate} onChange={(ev) => set("startDate", ev.target.value)} />
              </Field>
              <Field label="End (optional)" error={fieldErrors("endDate")}>
                <input type="datetime-local" value={form.endDate} onChange={(ev) => set("endDate", ev.target.value)} />
              </Field>
              <Field label="Send times (HH:MM, comma-separated)" error={fieldErrors("sendTimes")}>
                <input value={form.sendTimes} onChange={(ev) => set("sendTimes", ev.target.value)} aria-describedby="err-sendTimes" />
              </Field>
              <Field label="Time zone" error={fieldErrors("timezone")}>
                <input value={form.timezone} onChange={(ev) => set("timezone", ev.target.value)} />
              </Field>
            </div>
          </fieldset>

          <fieldset disabled={!editable}>
            <legend>Incentive</legend>
            <label className="inline">
              <input type="checkbox" checked={form.hasIncentive} onChange={(ev) => set("hasIncentive", ev.target.checked)} />
              Offer an incentive
            </label>
            {form.hasIncentive && (
              <div className="grid3">
                <Field label="Details" error={fieldErrors("incentiveDetails")}>
                  <input value={form.incentiveDetails} onChange={(ev) => set("incentiveDetails", ev.target.value)} />
                </Field>
                <Field label="Code" error={fieldErrors("incentiveCode")}>
                  <input value={form.incentiveCode} onChange={(ev) => set("incentiveCode", ev.target.value)} />
                </Field>
                <Field label="Cost per redemption ($)" error={fieldErrors("incentiveCostCents")}>
                  <input type="number" min={0} step="0.01" value={form.incentiveCost} onChange={(ev) => set("incentiveCost", ev.target.value)} />
                </Field>
              </div>
            )}
          </fieldset>
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
          <section className="card" aria-labelledby="preview-title">
            <h2 id="preview-title">Preview</h2>
            <Field label="Preview for patient id (empty: sample data)">
              <input value={previewPatient} onChange={(ev) => setPreviewPatient(ev.target.value)} />
            </Field>
            <Field label="Preview in">
              <select value={previewLanguage} onChange={(ev) => setPreviewLanguage(ev.target.value)}>
                <option value="">The patient’s language (sample data: the default)</option>
                {languages.map((l) => (
                  <option key={l.code} value={l.code}>
                    {languageLabel(l.code, languages)}
                  </option>
                ))}
              </select>
            </Field>
            {editable && (
              <button type="button" onClick={showPreview}>
                Save and preview
              </button>
            )}
            {!editable && id && (
              <button type="button" onClick={() => preview({ id, patientId: previewPatient || null, language: previewLanguage || null })}>
                Preview
              </button>
            )}
            {previewData?.__typename === "CampaignPreview" &&
              previewData.messages.map((m) => (
                <MessagePreview
                  key={`${m.variant}-${m.sequence}`}
                  message={m}
                  languageName={languageLabel(m.language, languages)}
                  note={fallbackNote(previewData.language, m.language, languages)}
                />
              ))}
            {previewData?.__typename === "ValidationError" && (
              <p className="field-error">{previewData.fields.map((f) => `${fieldName(f.field)}: ${fieldErrorText(f)}`).join(" ")}</p>
            )}
            {previewData?.__typename === "NotFound" && <p className="field-error">{previewData.message}</p>}
          </section>
        </aside>
      </div>
    </main>
  );
}

function Field({ label, error, children }: { label: string; error?: ReactNode; children: ReactNode }) {
  return (
    <div>
      <label>
        {label}
        {children}
      </label>
      {error}
    </div>
  );
}

function Errors({ list, id }: { list?: FieldError[]; id: string }) {
  if (!list?.length) return <span id={id} hidden />;
  return (
    <p className="field-error" id={id} role="alert">
      {list.map((e) => fieldErrorText(e)).join(" ")}
    </p>
  );
}

function StepEditor(props: {
  index: number;
  step: StepForm;
  channels: Channel[];
  variants: string[];
  defaultLanguage: string;
  languages: readonly Language[];
  onChange: (change: Partial<StepForm>) => void;
  onRemove: () => void;
  errorsOf: (part: string) => ReactNode;
}) {
  const { index, step, onChange } = props;
  const body = useRef<HTMLTextAreaElement>(null);
  const [field, setField] = useState(MERGE_FIELDS[0]);
  const n = index + 1;
  function insert() {
    const el = body.current;
    const tag = `{{ ${field} }}`;
    const at = el?.selectionStart ?? step.body.length;
    const end = el?.selectionEnd ?? at;
    onChange({ body: step.body.slice(0, at) + tag + step.body.slice(end) });
    requestAnimationFrame(() => {
      el?.focus();
      el?.setSelectionRange(at + tag.length, at + tag.length);
    });
  }
  const size = step.channel === "SMS" ? smsSize(step.body) : null;
  return (
    <div className="step">
      <div className="grid3">
        <Field label={`Step ${n} channel`} error={props.errorsOf("channel")}>
          <select value={step.channel} onChange={(ev) => onChange({ channel: ev.target.value as Channel })}>
            {(["EMAIL", "SMS", "MAIL"] as Channel[]).map((c) => (
              <option key={c} value={c}>
                {c.toLowerCase()}
              </option>
            ))}
          </select>
        </Field>
        <Field label={`Step ${n} wait (days after the previous step)`} error={props.errorsOf("delayDays")}>
          <input type="number" min={0} value={step.delayDays} onChange={(ev) => onChange({ delayDays: ev.target.valueAsNumber })} />
        </Field>
        <Field label={`Step ${n} variant`} error={props.errorsOf("variant")}>
          <select value={step.variant} onChange={(ev) => onChange({ variant: ev.target.value })}>
            {props.variants.map((v) => (
              <option key={v}>{v}</option>
            ))}
          </select>
        </Field>
      </div>
      {step.channel !== "SMS" && (
        <Field label={`Step ${n} subject`} error={props.errorsOf("subject")}>
          <input value={step.subject} onChange={(ev) => onChange({ subject: ev.target.value })} />
        </Field>
      )}
      <Field label={`Step ${n} message`} error={props.errorsOf("body")}>
        <textarea ref={body} rows={4} value={step.body} onChange={(ev) => onChange({ body: ev.target.value })} />
      </Field>
      {size && (
        <p className="muted" aria-live="polite" data-testid="sms-size">
          {describeSms(size)}; the “Reply STOP to opt out” line is added when sent.
        </p>
      )}
      <StepTranslations
        stepNumber={n}
        channel={step.channel}
        defaultLanguage={props.defaultLanguage}
        languages={props.languages}
        translations={step.translations}
        onChange={(translations) => onChange({ translations })}
        errorsOf={props.errorsOf}
      />
      <div className="toolbar">
        <label>
          Merge field for step {n}
          <select value={field} onChange={(ev) => setField(ev.target.value)}>
            {MERGE_FIELDS.map((f) => (
              <option key={f}>{f}</option>
            ))}
          </select>
        </label>
        <button type="button" onClick={insert}>
          Insert into step {n}
        </button>
        <button type="button" onClick={props.onRemove}>
          Remove step {n}
        </button>
      </div>
    </div>
  );
}
