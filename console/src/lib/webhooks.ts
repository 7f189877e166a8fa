// An outbound webhook endpoint's state in words, from its last attempt.
import { dateTime } from "./format";

type Attempt = { outcome: string; statusCode?: number | null; error?: string | null; at?: string | null; nextAt?: string | null } | null | undefined;

export const WEBHOOK_EVENTS = [
  { value: "PATIENT_RESPONDED", label: "Responses (interested or not)" },
  { value: "PATIENT_REBOOKED", label: "Rebookings" },
  { value: "PATIENT_UNSUBSCRIBED", label: "Unsubscribes" },
] as const;

/** "Delivered Dec 3, 2026, 10:00 AM" / "Failing (HTTP 500), next try …" / "Gave up …" / "No deliveries yet" */
export function endpointHealth(last: Attempt, timeZone?: string): { text: string; failing: boolean } {
  if (!last) return { text: "No deliveries yet", failing: false };
  const why = last.statusCode ? `HTTP ${last.statusCode}` : (last.error ?? "no answer");
  if (last.outcome === "DELIVERED") return { text: `Delivered ${dateTime(last.at, timeZone)}`, failing: false };
  if (last.outcome === "RETRYING") return { text: `Failing (${why}), next try ${dateTime(last.nextAt, timeZone)}`, failing: true };
  return { text: `Gave up ${dateTime(last.at, timeZone)} (${why})`, failing: true };
}
