// A step's templates in other languages than the campaign's default one: each language's
// subject (not for an SMS) and message, added and removed per language. A patient whose
// language has none gets the step's own template.
import type { ReactNode } from "react";
import type { Channel } from "../gql/graphql";
import { languageLabel, languagesToAdd, type Language, type TranslationForm } from "../lib/languages";
import { describeSms, smsSize } from "../lib/sms";

export function StepTranslations(props: {
  stepNumber: number;
  channel: Channel;
  defaultLanguage: string;
  languages: readonly Language[];
  translations: TranslationForm[];
  onChange: (translations: TranslationForm[]) => void;
  errorsOf: (part: string) => ReactNode;
}) {
  const { stepNumber: n, channel, translations, languages, onChange } = props;
  const change = (index: number, edit: Partial<TranslationForm>) =>
    onChange(translations.map((t, i) => (i === index ? { ...t, ...edit } : t)));
  const toAdd = languagesToAdd(languages, props.defaultLanguage, translations);
  const defaultName = languages.find((l) => l.code === props.defaultLanguage)?.name ?? props.defaultLanguage;
  return (
    <div role="group" aria-label={`Step ${n} in other languages`} className="translations">
      {translations.length > 0 && (
        <p className="hint">Patients whose language has no template here get the {defaultName} one above.</p>
      )}
      {translations.map((t, i) => {
        const name = languages.find((l) => l.code === t.language)?.name ?? t.language;
        const size = channel === "SMS" ? smsSize(t.body) : null;
        return (
          <div className="translation" key={`${t.language}-${i}`} data-testid="step-translation" lang={t.language}>
            <strong>{languageLabel(t.language, languages)}</strong>
            {props.errorsOf(`translations.${i}.language`)}
            {channel !== "SMS" && (
              <div>
                <label>
                  {name} subject for step {n}
                  <input value={t.subject} onChange={(ev) => change(i, { subject: ev.target.value })} />
                </label>
                {props.errorsOf(`translations.${i}.subject`)}
              </div>
            )}
            <div>
              <label>
                {name} message for step {n}
                <textarea rows={3} value={t.body} onChange={(ev) => change(i, { body: ev.target.value })} />
              </label>
              {props.errorsOf(`translations.${i}.body`)}
            </div>
            {size && (
              <p className="muted" aria-live="polite">
                {describeSms(size)}; the STOP line is added in the patient’s language when sent.
              </p>
            )}
            <button type="button" onClick={() => onChange(translations.filter((_, j) => j !== i))}>
              Remove the {name} template of step {n}
            </button>
          </div>
        );
      })}
      <div className="toolbar">
        {toAdd.map((l) => (
          <button key={l.code} type="button" onClick={() => onChange([...translations, { language: l.code, subject: "", body: "" }])}>
            Add {l.name} to step {n}
          </button>
        ))}
      </div>
    </div>
  );
}
