// One previewed step as the patient gets it: an email's HTML part in a sandboxed frame, an SMS
// as a phone shows it (the STOP line is part of the text) with its segments, a letter on a page
// under the clinic's letterhead.
import { useQuery } from "urql";
import { graphql } from "../gql";
import type { PreviewMessage } from "../gql/graphql";
import { describeSms } from "../lib/sms";

const Letterhead = graphql(`
  query Letterhead {
    clinic {
      name
      phone
      website
      address { line1 line2 city state postalCode }
    }
  }
`);

type Previewed = Pick<PreviewMessage, "channel" | "sequence" | "variant" | "subject" | "body" | "html" | "sms">;

/** `languageName`: the language of the template shown; `note`: why it is not the previewed one. */
export function MessagePreview({ message: m, languageName, note }: { message: Previewed; languageName?: string; note?: string | null }) {
  const step = `Step ${m.sequence} · ${m.channel.toLowerCase()} · variant ${m.variant}${languageName ? ` · ${languageName}` : ""}`;
  return (
    <div className="step" data-testid="preview-message">
      <h3>{step}</h3>
      {note && (
        <p className="hint" data-testid="preview-fallback">
          {note}
        </p>
      )}
      {m.channel === "EMAIL" && <EmailPreview message={m} title={`Email preview, ${step}`} />}
      {m.channel === "SMS" && (
        <>
          <p className="preview-sms">{m.body}</p>
          {m.sms && (
            <p className="muted" data-testid="preview-sms-size">
              {describeSms({ encoding: m.sms.encoding as "GSM-7" | "UCS-2", characters: m.sms.characters, segments: m.sms.segments })}
            </p>
          )}
        </>
      )}
      {m.channel === "MAIL" && <LetterPreview body={m.body} />}
    </div>
  );
}

function EmailPreview({ message: m, title }: { message: Previewed; title: string }) {
  return (
    <>
      {m.subject && (
        <p>
          <strong>Subject:</strong> {m.subject}
        </p>
      )}
      {m.html ? (
        // sandbox="" : no scripts, no forms, no popups, an origin of its own; the page's
        // Content-Security-Policy (no inline script) applies to srcdoc as well
        <iframe className="preview-frame" title={title} sandbox="" srcDoc={m.html} />
      ) : null}
      <details>
        <summary>Text version</summary>
        <p className="preview-text">{m.body}</p>
      </details>
    </>
  );
}

function LetterPreview({ body }: { body: string }) {
  const [head] = useQuery({ query: Letterhead });
  const clinic = head.data?.clinic;
  const a = clinic?.address;
  const place = a ? [a.city, [a.state, a.postalCode].filter(Boolean).join(" ")].filter(Boolean).join(", ") : "";
  const today = new Intl.DateTimeFormat("en-US", { dateStyle: "long" }).format(new Date());
  return (
    <article className="preview-letter" aria-label="Letter preview">
      <header className="letterhead">
        <strong>{clinic?.name ?? "Your clinic"}</strong>
        {a?.line1 && <span>{a.line1}</span>}
        {a?.line2 && <span>{a.line2}</span>}
        {place && <span>{place}</span>}
        {clinic?.phone && <span>{clinic.phone}</span>}
      </header>
      <p className="letter-date">{today}</p>
      {body.split(/\n{2,}/).map((paragraph, i) => (
        <p key={i}>{paragraph}</p>
      ))}
    </article>
  );
}
