// The preview beside the form: every step for sample data or a patient, in a language of
// choice. A draft is saved first (the server previews what it stores); a campaign that can no
// longer be edited is previewed as it is.
import { useState } from "react";
import { useMutation } from "urql";
import { MessagePreview } from "../../components/MessagePreview";
import { graphql } from "../../gql";
import { fieldErrorText, fieldName } from "../../lib/errorCodes";
import { fallbackNote, languageLabel, type Language } from "../../lib/languages";
import { Field } from "./fields";

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

type Props = {
  id?: string; // the saved campaign's, none for a new draft
  editable: boolean;
  languages: Language[];
  save: (then: (savedId: string) => unknown) => Promise<void>;
};

export function PreviewCard({ id, editable, languages, save }: Props) {
  const [previewResult, preview] = useMutation(Preview);
  const [previewPatient, setPreviewPatient] = useState("");
  const [previewLanguage, setPreviewLanguage] = useState(""); // "": the patient's, else the default

  async function showPreview() {
    await save((savedId) => preview({ id: savedId, patientId: previewPatient || null, language: previewLanguage || null }));
  }
  const previewData = previewResult.data?.previewCampaign;

  return (
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
  );
}
