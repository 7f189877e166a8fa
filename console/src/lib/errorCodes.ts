// A ValidationError's field codes (FieldErrorCode in gateway/schema.graphql) in words a person
// understands, shown next to the field; the server's own message is kept for detail.
import type { FieldErrorCode } from "../gql/graphql";

export type FieldError = { field: string; message: string; code: FieldErrorCode };

const WORDS: Record<FieldErrorCode, string> = {
  BAD_CURSOR: "This page link has expired; go back to the first page.",
  CODE_IN_USE: "Another live campaign already uses this code. Choose a different one.",
  DUPLICATE: "This appears twice; each must be different.",
  EMPTY_WINDOW: "The start must come before the end.",
  END_BEFORE_START: "The end date must come after the start date.",
  END_DATE_PASSED: "The end date is already in the past.",
  FAILS_FOR_MISSING_VALUE:
    "This message cannot be written for a patient missing one of its fields; add a fallback such as {{ patient.firstName or \"there\" }}.",
  GIVEN_TWICE: "This was given twice.",
  INVALID: "This value is not valid.",
  INVALID_EMAIL: "Enter an email address like name@clinic.com.",
  INVALID_PHONE: "Enter a phone number patients can dial.",
  INVALID_TEMPLATE: "The message has a mistake in its merge fields or braces.",
  INVALID_TIME: "Enter a time as HH:MM, for example 10:00.",
  INVALID_TIME_ZONE: "Choose a time zone such as America/Chicago.",
  INVALID_TYPE: "This is not the right kind of value.",
  NOT_ALLOWED_MERGE_FIELD: "This merge field does not exist; pick one from the list.",
  NOT_E164: "Enter the number in international form, like +13125550100.",
  NOT_HTTPS: "Enter an address that starts with https://.",
  NOT_IN_CAMPAIGN: "This step uses a channel or variant the campaign does not have.",
  NOT_JSON: "This is not readable data.",
  NOT_ONE_OF: "Choose one of the offered values.",
  OUTSIDE_LEGAL_HOURS: "Messages may only go between 08:00 and 21:00.",
  OUT_OF_RANGE: "This number is outside the allowed range.",
  PROFILE_INCOMPLETE: "Your clinic profile is missing what this channel needs (see Clinic settings).",
  RENDERED_TOO_LARGE: "The message is too long once filled in.",
  REQUIRED: "This is required.",
  SENDER_NOT_VERIFIED: "This sender is not verified for your clinic.",
  SEQUENCE_GAP: "Steps must be numbered 1, 2, 3 without gaps.",
  TEMPLATE_RENDER_FAILED: "The message could not be filled in with sample data.",
  TOO_LARGE: "This is too large.",
  TOO_LONG: "This is too long.",
  UNKNOWN_AUDIENCE: "This saved audience no longer exists; choose another or set the targeting by hand.",
  UNKNOWN_TREATMENT_STAGE: "This treatment stage is not one your clinic uses.",
  UNREADABLE_FILE: "The file cannot be read; check its columns.",
  UNSUPPORTED_LANGUAGE: "Messages cannot be written in this language yet; choose English or Spanish.",
  UNUSED_VARIANT: "This variant has no message; add a step for it or remove it.",
};

/** What to show next to a field for one of its errors. */
export function fieldErrorText(error: Pick<FieldError, "code">): string {
  return WORDS[error.code] ?? "This value is not valid.";
}

/** Errors grouped by their field path (e.g. `messageTemplates.1.subject`). */
export function errorsByField(errors: readonly FieldError[]): Map<string, FieldError[]> {
  const byField = new Map<string, FieldError[]>();
  for (const error of errors) {
    const list = byField.get(error.field) ?? [];
    list.push(error);
    byField.set(error.field, list);
  }
  return byField;
}

/** A field path in words: `messageTemplates.1.subject` -> "Step 2 subject",
 * `messageTemplates.1.translations.0.body` -> "Step 2 other language 1 body". */
export function fieldName(path: string): string {
  const other = /^messageTemplates\.(\d+)\.translations\.(\d+)\.(\w+)$/.exec(path);
  if (other) return `Step ${Number(other[1]) + 1} other language ${Number(other[2]) + 1} ${splitWords(other[3])}`;
  const step = /^messageTemplates\.(\d+)\.(\w+)$/.exec(path);
  if (step) return `Step ${Number(step[1]) + 1} ${splitWords(step[2])}`;
  const last = path.split(".").pop() ?? path;
  return splitWords(last).replace(/^./, (c) => c.toUpperCase());
}

function splitWords(name: string): string {
  return name.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
}
