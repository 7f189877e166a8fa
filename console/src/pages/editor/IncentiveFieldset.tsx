// An optional incentive: its details and code (merge fields of the templates) and its cost.
import { Field, type CampaignFieldsetProps } from "./fields";

export function IncentiveFieldset({ form, set, fieldErrors, editable }: CampaignFieldsetProps) {
  return (
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
  );
}
