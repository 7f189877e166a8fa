// "Who it reaches": a saved audience, or the targeting by hand (last visit, recall, treatment
// stages, no-shows and dropouts, recent contact), and the channels the campaign sends on.
import type { Dispatch, SetStateAction } from "react";
import { useQuery } from "urql";
import { RecallFields } from "../../components/RecallFields";
import { graphql } from "../../gql";
import type { Channel } from "../../gql/graphql";
import type { CampaignForm } from "../../lib/campaignForm";
import { recallFormOf } from "../../lib/recall";
import { TREATMENT_STAGES } from "../../lib/stages";
import { Field, type CampaignFieldsetProps } from "./fields";

const CHANNELS: Channel[] = ["EMAIL", "SMS", "MAIL"];

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

type Props = CampaignFieldsetProps & { setForm: Dispatch<SetStateAction<CampaignForm>> };

export function TargetingFieldset({ form, set, setForm, fieldErrors, editable }: Props) {
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

  return (
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
  );
}
