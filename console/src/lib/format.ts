// Figures as a clinic reads them.
const whole = new Intl.NumberFormat("en-US");

export function count(n: number | null | undefined): string {
  return n == null ? "—" : whole.format(n);
}

export function percent(rate: number | null | undefined, digits = 1): string {
  return rate == null ? "—" : `${(rate * 100).toFixed(digits)}%`;
}

export function money(cents: number | null | undefined): string {
  if (cents == null) return "—";
  return new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" }).format(cents / 100);
}

export function roi(value: number | null | undefined): string {
  return value == null ? "—" : `${value >= 0 ? "" : "−"}${whole.format(Math.round(Math.abs(value * 100)))}%`;
}

/** A moment in a time zone, e.g. "Dec 3, 2026, 10:00 AM". */
export function dateTime(iso: string | null | undefined, timeZone?: string): string {
  if (!iso) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat("en-US", {
    dateStyle: "medium",
    timeStyle: "short",
    ...(timeZone ? { timeZone } : {}),
  }).format(date);
}

export function date(iso: string | null | undefined, timeZone?: string): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat("en-US", { dateStyle: "medium", ...(timeZone ? { timeZone } : {}) }).format(d);
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}

type Schedule = { startDate?: string | null; sendTimes: readonly string[]; timezone: string };

/** What a launch does, in one sentence: "Launching sends to 1,284 patients from Dec 3, 2026 at 10:00 America/Chicago." */
export function launchSentence(patients: number | null, schedule: Schedule, now: Date = new Date()): string {
  const who = patients == null ? "the targeted patients" : plural(patients, "patient");
  const times = schedule.sendTimes.length ? schedule.sendTimes.join(" and ") : "the send times";
  const start = schedule.startDate ? new Date(schedule.startDate) : null;
  const when =
    start && start > now
      ? `from ${date(schedule.startDate, schedule.timezone)} at ${times} ${schedule.timezone}`
      : `starting now, at ${times} ${schedule.timezone}`;
  return `Launching sends to ${who} ${when}. Once launched, the campaign can no longer be edited.`;
}
