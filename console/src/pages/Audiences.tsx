// Saved audiences: a targeting kept by name with its live count, reused by campaigns (the
// editor's "Saved audience" choice). Staff see the list; managers save, edit and delete.
import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../gql";
import { errorsByField, fieldErrorText, type FieldError } from "../lib/errorCodes";
import { formFieldOf } from "../lib/campaignForm";
import { RecallFields } from "../components/RecallFields";
import { targetingSummary } from "../lib/audiences";
import { newRecall, recallFormOf, recallInput, type RecallForm } from "../lib/recall";
import { TREATMENT_STAGES, orderedStages } from "../lib/stages";
import { count } from "../lib/format";
import { useSession } from "../session";

const List = graphql(`
  query SavedAudiences {
    savedAudiences {
      id
      name
      description
      targeting {
        inactiveDays treatmentStages includeNoShows includeDropouts excludeRecentContact excludeContactDays
        recall { dueSince overdueByMonths maxOverdueMonths }
      }
      estimate {
        __typename
        ... on AudienceEstimate { total patients }
        ... on NotAvailable { message }
      }
    }
  }
`);
const Create = graphql(`
  mutation CreateSavedAudience($input: SavedAudienceInput!) {
    createSavedAudience(input: $input) {
      __typename
      ... on SavedAudience { id }
      ... on ValidationError { message fields { field message code } }
    }
  }
`);
const Update = graphql(`
  mutation UpdateSavedAudience($id: ID!, $input: SavedAudienceInput!) {
    updateSavedAudience(id: $id, input: $input) {
      __typename
      ... on SavedAudience { id }
      ... on ValidationError { message fields { field message code } }
      ... on NotFound { message }
    }
  }
`);
const Delete = graphql(`
  mutation DeleteSavedAudience($id: ID!) {
    deleteSavedAudience(id: $id) {
      __typename
      ... on DeletedSavedAudience { id }
      ... on NotFound { message }
    }
  }
`);

type AudienceForm = {
  name: string;
  description: string;
  inactiveDays: number;
  treatmentStages: string[];
  includeNoShows: boolean;
  includeDropouts: boolean;
  excludeRecentContact: boolean;
  excludeContactDays: number;
  recall: RecallForm;
};

const EMPTY: AudienceForm = {
  name: "",
  description: "",
  inactiveDays: 180,
  treatmentStages: [],
  includeNoShows: true,
  includeDropouts: false,
  excludeRecentContact: true,
  excludeContactDays: 30,
  recall: newRecall(),
};

function toInput(form: AudienceForm) {
  return {
    name: form.name,
    description: form.description || null,
    targeting: {
      inactiveDays: Number.isFinite(form.inactiveDays) ? Math.trunc(form.inactiveDays) : 0,
      treatmentStages: orderedStages(form.treatmentStages),
      includeNoShows: form.includeNoShows,
      includeDropouts: form.includeDropouts,
      excludeRecentContact: form.excludeRecentContact,
      excludeContactDays: Math.trunc(form.excludeContactDays || 0),
      recall: recallInput(form.recall),
    },
  };
}

export default function AudiencesPage() {
  const { can } = useSession();
  const [list, refresh] = useQuery({ query: List, requestPolicy: "cache-and-network" });
  const [editing, setEditing] = useState<{ id: string | null; form: AudienceForm } | null>(null);
  const [, remove] = useMutation(Delete);
  const [outcome, setOutcome] = useState<string | null>(null);
  const audiences = list.data?.savedAudiences ?? [];
  const reload = () => refresh({ requestPolicy: "network-only" });

  return (
    <main className="page">
      <div className="title-row">
        <h1>Saved audiences</h1>
        {can.manage && !editing && (
          <button type="button" className="primary" onClick={() => setEditing({ id: null, form: EMPTY })}>
            New audience
          </button>
        )}
      </div>
      <p className="hint">A targeting kept by name: choose it in a campaign's editor, and the campaign follows its changes until it is launched.</p>
      {outcome && <p className="notice notice-calm" role="status">{outcome}</p>}
      {editing && (
        <AudienceEditor
          key={editing.id ?? "new"}
          id={editing.id}
          start={editing.form}
          onDone={(message) => {
            setEditing(null);
            setOutcome(message);
            reload();
          }}
          onCancel={() => setEditing(null)}
        />
      )}
      {list.error && <p role="alert" className="notice notice-error">{list.error.message}</p>}
      <table className="table" aria-label="Saved audiences">
        <thead>
          <tr>
            <th>Name</th>
            <th>Who</th>
            <th className="num">Reaches now</th>
            {can.manage && <th>Actions</th>}
          </tr>
        </thead>
        <tbody>
          {audiences.map((a) => (
            <tr key={a.id} data-testid="saved-audience">
              <td>
                <strong>{a.name}</strong>
                {a.description && <div className="muted">{a.description}</div>}
              </td>
              <td>{targetingSummary(a.targeting)}</td>
              <td className="num" data-testid="audience-count">
                {a.estimate?.__typename === "AudienceEstimate"
                  ? `${count(a.estimate.total)} of ${count(a.estimate.patients ?? a.estimate.total)} patients`
                  : "count unavailable"}
              </td>
              {can.manage && (
                <td className="row-actions">
                  <button type="button" className="small" aria-label={`Edit ${a.name}`} onClick={() => setEditing({ id: a.id, form: { ...a.targeting, treatmentStages: [...a.targeting.treatmentStages], recall: recallFormOf(a.targeting.recall), name: a.name, description: a.description ?? "" } })}>
                    Edit
                  </button>
                  <button
                    type="button"
                    className="small"
                    aria-label={`Delete ${a.name}`}
                    onClick={async () => {
                      if (!window.confirm(`Delete the saved audience “${a.name}”? Campaigns that use it keep its targeting.`)) return;
                      await remove({ id: a.id });
                      setOutcome(`Deleted “${a.name}”.`);
                      reload();
                    }}
                  >
                    Delete
                  </button>
                </td>
              )}
            </tr>
          ))}
          {!audiences.length && !list.fetching && (
            <tr>
              <td colSpan={4} className="muted">No saved audiences yet.</td>
            </tr>
          )}
        </tbody>
      </table>
    </main>
  );
}

function AudienceEditor({ id, start, onDone, onCancel }: { id: string | null; start: AudienceForm; onDone: (message: string) => void; onCancel: () => void }) {
  const [form, setForm] = useState(start);
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [, create] = useMutation(Create);
  const [, update] = useMutation(Update);
  const set = <K extends keyof AudienceForm>(key: K, value: AudienceForm[K]) => setForm((f) => ({ ...f, [key]: value }));
  const byField = errorsByField(errors.map((e) => ({ ...e, field: formFieldOf(e.field) })));
  const errorOf = (key: string) => {
    const list = byField.get(key);
    return list?.length ? (
      <p className="field-error" role="alert">
        {list.map((e) => `${fieldErrorText(e)} (${e.message})`).join(" ")}
      </p>
    ) : null;
  };

  async function save() {
    const input = toInput(form);
    const answer = id ? await update({ id, input }) : await create({ input });
    const result = id
      ? (answer.data as { updateSavedAudience?: { __typename: string; fields?: FieldError[]; message?: string } } | undefined)?.updateSavedAudience
      : (answer.data as { createSavedAudience?: { __typename: string; fields?: FieldError[] } } | undefined)?.createSavedAudience;
    if (result?.__typename === "SavedAudience") onDone(`Saved “${form.name}”.`);
    else if (result?.__typename === "ValidationError") setErrors(result.fields ?? []);
    else setErrors([{ field: "name", message: answer.error?.message ?? "not saved", code: "INVALID" }]);
  }

  return (
    <form
      className="card"
      aria-label={id ? "Edit saved audience" : "New saved audience"}
      onSubmit={(ev) => {
        ev.preventDefault();
        void save();
      }}
    >
      <div className="grid2">
        <div>
          <label>
            Audience name
            <input value={form.name} onChange={(ev) => set("name", ev.target.value)} />
          </label>
          {errorOf("name")}
        </div>
        <div>
          <label>
            Description
            <input value={form.description} onChange={(ev) => set("description", ev.target.value)} />
          </label>
          {errorOf("description")}
        </div>
        <div>
          <label>
            Last visit at least this many days ago
            <input type="number" min={1} value={Number.isNaN(form.inactiveDays) ? "" : form.inactiveDays} onChange={(ev) => set("inactiveDays", ev.target.valueAsNumber)} />
          </label>
          {errorOf("inactiveDays")}
        </div>
        <div>
          <label>
            Recently contacted means within (days)
            <input type="number" min={1} value={form.excludeContactDays} onChange={(ev) => set("excludeContactDays", ev.target.valueAsNumber)} />
          </label>
          {errorOf("excludeContactDays")}
        </div>
      </div>
      <div role="group" aria-label="Treatment stages">
        <strong>Treatment stages (none checked: every stage)</strong>
        <div className="chips">
          {TREATMENT_STAGES.map((stage) => (
            <label className="inline" key={stage.value}>
              <input
                type="checkbox"
                checked={form.treatmentStages.includes(stage.value)}
                onChange={(ev) => set("treatmentStages", ev.target.checked ? [...form.treatmentStages, stage.value] : form.treatmentStages.filter((x) => x !== stage.value))}
              />
              {stage.label}
            </label>
          ))}
        </div>
        {errorOf("treatmentStages")}
      </div>
      <label className="inline">
        <input type="checkbox" checked={form.includeNoShows} onChange={(ev) => set("includeNoShows", ev.target.checked)} />
        Include patients who missed their last appointment
      </label>
      <label className="inline">
        <input type="checkbox" checked={form.includeDropouts} onChange={(ev) => set("includeDropouts", ev.target.checked)} />
        Include patients who dropped out of treatment
      </label>
      <label className="inline">
        <input type="checkbox" checked={form.excludeRecentContact} onChange={(ev) => set("excludeRecentContact", ev.target.checked)} />
        Leave out patients contacted recently
      </label>
      <RecallFields value={form.recall} onChange={(recall) => set("recall", recall)} errorFor={(key) => <div id={`err-${key}`}>{errorOf(key)}</div>} />
      <div className="actions">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="primary">
          Save audience
        </button>
      </div>
    </form>
  );
}
