// The campaign editor's channel fallback (issue 22 #8): rules "when an EMAIL fails or bounces,
// send this SMS instead", tried in their order for each failing channel; none: off.
import type { ReactNode } from "react";
import type { Channel } from "../gql/graphql";
import type { FallbackForm } from "../lib/campaignForm";

const FAILING: Channel[] = ["EMAIL", "SMS"];
const TARGETS: Channel[] = ["SMS", "EMAIL", "MAIL"];

type Props = {
  value: FallbackForm[];
  onChange: (rules: FallbackForm[]) => void;
  errorsOf: (path: string) => ReactNode;
};

export function ChannelFallbackFields({ value, onChange, errorsOf }: Props) {
  const change = (index: number, patch: Partial<FallbackForm>) =>
    onChange(value.map((rule, i) => (i === index ? { ...rule, ...patch } : rule)));
  return (
    <section aria-labelledby="fallback-title">
      <h3 id="fallback-title">Channel fallback</h3>
      <p className="hint">
        When an email bounces or an SMS cannot be delivered, send the step once more by another channel the patient
        consents to. Rules for the same channel are tried in their order. Without rules a bounce ends the patient’s
        sequence.
      </p>
      {value.map((rule, index) => (
        <div className="step" key={index}>
          <div className="grid3">
            <label>
              When this fails
              <select value={rule.channel} onChange={(ev) => change(index, { channel: ev.target.value as Channel })}>
                {FAILING.map((c) => (
                  <option key={c}>{c}</option>
                ))}
              </select>
            </label>
            <label>
              Send instead by
              <select value={rule.to} onChange={(ev) => change(index, { to: ev.target.value as Channel })} aria-describedby={`err-channelFallback.${index}.to`}>
                {TARGETS.map((c) => (
                  <option key={c}>{c}</option>
                ))}
              </select>
            </label>
            {errorsOf(`channelFallback.${index}.channel`)}
            {errorsOf(`channelFallback.${index}.to`)}
            {rule.to !== "SMS" && (
              <label>
                Fallback subject
                <input value={rule.subject} onChange={(ev) => change(index, { subject: ev.target.value })} />
                {errorsOf(`channelFallback.${index}.subject`)}
              </label>
            )}
          </div>
          <label>
            Fallback message
            <textarea value={rule.body} onChange={(ev) => change(index, { body: ev.target.value })} />
            {errorsOf(`channelFallback.${index}.body`)}
          </label>
          <button type="button" onClick={() => onChange(value.filter((_, i) => i !== index))}>
            Remove fallback {index + 1}
          </button>
        </div>
      ))}
      <button
        type="button"
        onClick={() =>
          onChange([...value, { channel: "EMAIL", to: "SMS", subject: "", body: "{{ clinic.name }}: we could not reach you by email. Book at {{ bookingLink }}" }])
        }
      >
        Add a fallback
      </button>
    </section>
  );
}
