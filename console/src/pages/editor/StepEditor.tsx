// One step of the campaign: its channel, wait and variant, its subject and message in the
// default language (with the SMS size), its templates in other languages, and the merge-field
// picker that inserts a field where the cursor is in the message.
import { useRef, useState, type ReactNode } from "react";
import { StepTranslations } from "../../components/StepTranslations";
import type { Channel } from "../../gql/graphql";
import { MERGE_FIELDS, type StepForm } from "../../lib/campaignForm";
import type { Language } from "../../lib/languages";
import { describeSms, smsSize } from "../../lib/sms";
import { Field } from "./fields";

export function StepEditor(props: {
  index: number;
  step: StepForm;
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
