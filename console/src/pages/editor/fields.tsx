// What the editor's fieldsets share: a labelled field with its error line under it, the error
// line itself (its id is what aria-describedby and the shell's "unplaced errors" look for), and
// the props every fieldset of the campaign form takes.
import type { ReactNode } from "react";
import type { CampaignForm } from "../../lib/campaignForm";
import { fieldErrorText, type FieldError } from "../../lib/errorCodes";

export type SetCampaignField = <K extends keyof CampaignForm>(key: K, value: CampaignForm[K]) => void;

export type CampaignFieldsetProps = {
  form: CampaignForm;
  set: SetCampaignField;
  fieldErrors: (field: string) => ReactNode;
  editable: boolean;
};

export function Field({ label, error, children }: { label: string; error?: ReactNode; children: ReactNode }) {
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

export function Errors({ list, id }: { list?: FieldError[]; id: string }) {
  if (!list?.length) return <span id={id} hidden />;
  return (
    <p className="field-error" id={id} role="alert">
      {list.map((e) => fieldErrorText(e)).join(" ")}
    </p>
  );
}
