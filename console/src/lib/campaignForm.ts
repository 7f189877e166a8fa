// The editor's form state and its conversion to CampaignInput, so that nothing typed is lost on
// an error and a saved campaign loads back the same.
import type { CampaignInput, Channel } from "../gql/graphql";
import type { TranslationForm } from "./languages";
import { newRecall, recallFormOf, recallInput, type RecallForm, type SavedRecall } from "./recall";
import { orderedStages } from "./stages";

// `subject` and `body` are in the campaign's default language; `translations` in others.
export type StepForm = {
  channel: Channel;
  subject: string;
  body: string;
  delayDays: number;
  variant: string;
  translations: TranslationForm[];
};
// A channel fallback rule: a step whose `channel` fails or bounces goes again by `to`.
export type FallbackForm = { channel: Channel; to: Channel; subject: string; body: string };
export type CampaignForm = {
  name: string;
  description: string;
  savedAudienceId: string; // "": the targeting below, by hand
  inactiveDays: number;
  treatmentStages: string[]; // none: every stage
  includeNoShows: boolean;
  includeDropouts: boolean;
  excludeRecentContact: boolean;
  excludeContactDays: number;
  recall: RecallForm;
  channels: Channel[];
  defaultLanguage: string;
  steps: StepForm[];
  fallback: FallbackForm[]; // none: off
  groupHouseholds: boolean; // one message per household (patients sharing a step's contact)
  variants: { name: string; weight: number }[];
  holdoutPercent: number;
  startDate: string; // datetime-local, in the campaign's time zone as the user typed it
  endDate: string;
  sendTimes: string;
  timezone: string;
  hasIncentive: boolean;
  incentiveDetails: string;
  incentiveCode: string;
  incentiveCost: string; // dollars
};

export const MERGE_FIELDS = [
  "patient.firstName",
  "patient.lastName",
  "patient.lastVisitDate",
  "patient.treatmentStage",
  "household.names",
  "household.size",
  "clinic.name",
  "clinic.phone",
  "clinic.address",
  "incentive.details",
  "incentive.code",
  "bookingLink",
  "unsubscribeLink",
];

export function newForm(timezone = "America/Chicago"): CampaignForm {
  return {
    name: "",
    description: "",
    savedAudienceId: "",
    inactiveDays: 180,
    treatmentStages: [],
    includeNoShows: true,
    includeDropouts: false,
    excludeRecentContact: true,
    excludeContactDays: 30,
    recall: newRecall(),
    channels: ["EMAIL", "SMS"],
    defaultLanguage: "en",
    steps: [
      {
        channel: "EMAIL",
        subject: "We miss you, {{ patient.firstName }}",
        body: "Hi {{ patient.firstName }}, it has been a while since your last visit. Book your check-up: {{ bookingLink }}",
        delayDays: 0,
        variant: "A",
        translations: [],
      },
      {
        channel: "SMS",
        subject: "",
        body: "{{ clinic.name }}: time for your check-up? Book at {{ bookingLink }}",
        delayDays: 3,
        variant: "A",
        translations: [],
      },
    ],
    fallback: [],
    groupHouseholds: true,
    variants: [{ name: "A", weight: 1 }],
    holdoutPercent: 10,
    startDate: "",
    endDate: "",
    sendTimes: "10:00",
    timezone,
    hasIncentive: false,
    incentiveDetails: "",
    incentiveCode: "",
    incentiveCost: "",
  };
}

export function targetingOf(form: CampaignForm) {
  return {
    inactiveDays: Number.isFinite(form.inactiveDays) ? Math.trunc(form.inactiveDays) : 0,
    treatmentStages: orderedStages(form.treatmentStages),
    includeNoShows: form.includeNoShows,
    includeDropouts: form.includeDropouts,
    excludeRecentContact: form.excludeRecentContact,
    excludeContactDays: Math.trunc(form.excludeContactDays || 0),
    recall: recallInput(form.recall),
  };
}

/** Steps are numbered per variant in the order they are listed. */
export function toInput(form: CampaignForm): CampaignInput {
  const next: Record<string, number> = {};
  return {
    name: form.name,
    description: form.description || null,
    targeting: targetingOf(form),
    savedAudienceId: form.savedAudienceId || null,
    channels: form.channels,
    defaultLanguage: form.defaultLanguage,
    messageTemplates: form.steps.map((s) => {
      next[s.variant] = (next[s.variant] ?? 0) + 1;
      return {
        channel: s.channel,
        subject: s.channel === "SMS" ? null : s.subject || null,
        body: s.body,
        delayDays: s.delayDays,
        variant: s.variant,
        sequence: next[s.variant],
        translations: s.translations.map((t) => ({
          language: t.language,
          subject: s.channel === "SMS" ? null : t.subject || null,
          body: t.body,
        })),
      };
    }),
    channelFallback: form.fallback.map((r) => ({
      channel: r.channel,
      to: r.to,
      subject: r.to === "SMS" ? null : r.subject || null,
      body: r.body,
    })),
    groupHouseholds: form.groupHouseholds,
    variants: form.variants.map((v) => ({ name: v.name, weight: v.weight })),
    holdoutPercent: form.holdoutPercent,
    schedule: {
      startDate: form.startDate ? localToIso(form.startDate, form.timezone) : null,
      endDate: form.endDate ? localToIso(form.endDate, form.timezone) : null,
      sendTimes: splitList(form.sendTimes),
      timezone: form.timezone,
    },
    incentive: {
      hasIncentive: form.hasIncentive,
      incentiveDetails: form.hasIncentive ? form.incentiveDetails || null : null,
      incentiveCode: form.hasIncentive ? form.incentiveCode || null : null,
      incentiveCostCents: form.hasIncentive && form.incentiveCost ? Math.round(Number(form.incentiveCost) * 100) : 0,
    },
  };
}

type Saved = {
  name: string;
  description?: string | null;
  savedAudienceId?: string | null;
  targeting: Omit<ReturnType<typeof targetingOf>, "recall"> & { treatmentStages: readonly string[]; recall?: SavedRecall | null };
  channels: readonly Channel[];
  defaultLanguage?: string | null;
  messageTemplates: readonly {
    channel: Channel;
    subject?: string | null;
    body: string;
    delayDays: number;
    variant: string;
    sequence: number;
    translations?: readonly { language: string; subject?: string | null; body: string }[] | null;
  }[];
  channelFallback?: readonly { channel: Channel; to: Channel; subject?: string | null; body: string }[] | null;
  groupHouseholds?: boolean | null;
  variants: readonly { name: string; weight: number }[];
  holdoutPercent: number;
  schedule: { startDate?: string | null; endDate?: string | null; sendTimes: readonly string[]; timezone: string };
  incentive: { hasIncentive: boolean; incentiveDetails?: string | null; incentiveCode?: string | null; incentiveCostCents: number };
};

export function fromCampaign(c: Saved): CampaignForm {
  return {
    name: c.name,
    description: c.description ?? "",
    savedAudienceId: c.savedAudienceId ?? "",
    inactiveDays: c.targeting.inactiveDays,
    treatmentStages: [...c.targeting.treatmentStages],
    includeNoShows: c.targeting.includeNoShows,
    includeDropouts: c.targeting.includeDropouts,
    excludeRecentContact: c.targeting.excludeRecentContact,
    excludeContactDays: c.targeting.excludeContactDays,
    recall: recallFormOf(c.targeting.recall),
    channels: [...c.channels],
    defaultLanguage: c.defaultLanguage ?? "en",
    steps: [...c.messageTemplates]
      .sort((a, b) => (a.variant === b.variant ? a.sequence - b.sequence : a.variant.localeCompare(b.variant)))
      .map((t) => ({
        channel: t.channel,
        subject: t.subject ?? "",
        body: t.body,
        delayDays: t.delayDays,
        variant: t.variant,
        translations: (t.translations ?? []).map((x) => ({ language: x.language, subject: x.subject ?? "", body: x.body })),
      })),
    fallback: (c.channelFallback ?? []).map((r) => ({ channel: r.channel, to: r.to, subject: r.subject ?? "", body: r.body })),
    groupHouseholds: c.groupHouseholds ?? true,
    variants: c.variants.map((v) => ({ ...v })),
    holdoutPercent: c.holdoutPercent,
    startDate: c.schedule.startDate ? isoToLocal(c.schedule.startDate, c.schedule.timezone) : "",
    endDate: c.schedule.endDate ? isoToLocal(c.schedule.endDate, c.schedule.timezone) : "",
    sendTimes: c.schedule.sendTimes.join(", "),
    timezone: c.schedule.timezone,
    hasIncentive: c.incentive.hasIncentive,
    incentiveDetails: c.incentive.incentiveDetails ?? "",
    incentiveCode: c.incentive.incentiveCode ?? "",
    incentiveCost: c.incentive.incentiveCostCents ? (c.incentive.incentiveCostCents / 100).toFixed(2) : "",
  };
}

/** Which form field a ValidationError path belongs to: `messageTemplates.1.subject` stays, a
 * step's index being the form's; `targeting.inactiveDays` becomes `inactiveDays`. */
export function formFieldOf(path: string): string {
  if (path.startsWith("messageTemplates.") || path.startsWith("channelFallback.")) return path;
  const named = path.split(".").filter((part) => !/^\d+$/.test(part));
  return named[named.length - 1] ?? path;
}

export function splitList(text: string): string[] {
  return text
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean);
}

function offsetMinutes(at: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(at);
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  const asUtc = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
  return (asUtc - at.getTime()) / 60000;
}

/** "2026-12-03T10:00" in America/Chicago -> "2026-12-03T16:00:00.000Z". */
export function localToIso(local: string, timeZone: string): string {
  const guess = new Date(`${local}:00Z`);
  if (Number.isNaN(guess.getTime())) return local;
  const first = new Date(guess.getTime() - offsetMinutes(guess, timeZone) * 60000);
  const exact = new Date(guess.getTime() - offsetMinutes(first, timeZone) * 60000);
  return exact.toISOString();
}

export function isoToLocal(iso: string, timeZone: string): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return "";
  return new Date(at.getTime() + offsetMinutes(at, timeZone) * 60000).toISOString().slice(0, 16);
}
