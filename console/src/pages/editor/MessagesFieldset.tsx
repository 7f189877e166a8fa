// The campaign's messages: the language of each step's own template, the steps (one
// StepEditor each), the channel fallback rules, household grouping, and the A/B variants with
// the holdout.
import type { Dispatch, SetStateAction } from "react";
import { ChannelFallbackFields } from "../../components/ChannelFallbackFields";
import type { CampaignForm, StepForm } from "../../lib/campaignForm";
import { languageLabel, type Language } from "../../lib/languages";
import { Field, type CampaignFieldsetProps } from "./fields";
import { StepEditor } from "./StepEditor";

type Props = CampaignFieldsetProps & {
  setForm: Dispatch<SetStateAction<CampaignForm>>;
  languages: Language[];
};

export function MessagesFieldset({ form, set, setForm, fieldErrors, editable, languages }: Props) {
  const setStep = (index: number, change: Partial<StepForm>) =>
    setForm((f) => ({ ...f, steps: f.steps.map((s, i) => (i === index ? { ...s, ...change } : s)) }));

  return (
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
  );
}
