// The campaign's schedule: start and end dates, send times and the time zone they are in.
import { Field, type CampaignFieldsetProps } from "./fields";

export function ScheduleFieldset({ form, set, fieldErrors, editable }: CampaignFieldsetProps) {
  return (
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
  );
}
