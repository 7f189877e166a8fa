import { describe, expect, it } from "vitest";
import { describeComparison, describeLift } from "./abText";
import { csvCell, toCsv } from "./csv";
import { errorsByField, fieldErrorText, fieldName } from "./errorCodes";
import { count, launchSentence, money, percent, roi } from "./format";
import { abilitiesOf, actionsFor } from "./permissions";
import { describeSms, smsSize } from "./sms";

describe("field error codes", () => {
  it("says each code in words, never the raw code", () => {
    expect(fieldErrorText({ code: "REQUIRED" })).toBe("This is required.");
    expect(fieldErrorText({ code: "OUTSIDE_LEGAL_HOURS" })).toContain("08:00 and 21:00");
    expect(fieldErrorText({ code: "NOT_E164" })).not.toContain("E164");
  });

  it("names a step's field in words", () => {
    expect(fieldName("messageTemplates.1.subject")).toBe("Step 2 subject");
    expect(fieldName("schedule.sendTimes")).toBe("Send times");
  });

  it("groups errors by field", () => {
    const grouped = errorsByField([
      { field: "name", message: "m", code: "REQUIRED" },
      { field: "name", message: "m", code: "TOO_LONG" },
      { field: "schedule.timezone", message: "m", code: "INVALID_TIME_ZONE" },
    ]);
    expect(grouped.get("name")?.length).toBe(2);
    expect(grouped.get("schedule.timezone")?.[0].code).toBe("INVALID_TIME_ZONE");
  });
});

describe("SMS segments", () => {
  it("counts GSM-7 in 160 / 153 septets, extension characters twice", () => {
    expect(smsSize("")).toEqual({ encoding: "GSM-7", characters: 0, segments: 0 });
    expect(smsSize("a".repeat(160)).segments).toBe(1);
    expect(smsSize("a".repeat(161)).segments).toBe(2);
    expect(smsSize("a".repeat(306)).segments).toBe(2);
    expect(smsSize("a".repeat(307)).segments).toBe(3);
    expect(smsSize("€").characters).toBe(2);
  });

  it("falls back to UCS-2 in 70 / 67 units for any other character", () => {
    expect(smsSize("Hi 😀").encoding).toBe("UCS-2");
    expect(smsSize("é".repeat(70)).encoding).toBe("GSM-7");
    expect(smsSize("ê".repeat(70))).toEqual({ encoding: "UCS-2", characters: 70, segments: 1 });
    expect(smsSize("ê".repeat(71)).segments).toBe(2);
    expect(describeSms(smsSize("ê".repeat(71)))).toBe("71 characters, 2 segments (UCS-2, 67 per segment)");
  });
});

describe("formatting", () => {
  it("writes figures as a clinic reads them", () => {
    expect(count(1284)).toBe("1,284");
    expect(count(null)).toBe("—");
    expect(percent(0.1234)).toBe("12.3%");
    expect(money(123456)).toBe("$1,234.56");
    expect(roi(2.5)).toBe("250%");
    expect(roi(-0.5)).toBe("−50%");
    expect(roi(3935.17)).toBe("393,517%");
  });

  it("says what a launch does", () => {
    const now = new Date("2026-12-01T00:00:00Z");
    const future = { startDate: "2026-12-03T16:00:00Z", sendTimes: ["10:00"], timezone: "America/Chicago" };
    expect(launchSentence(1284, future, now)).toContain(
      "Launching sends to 1,284 patients from Dec 3, 2026 at 10:00 America/Chicago",
    );
    expect(launchSentence(1, { ...future, startDate: null }, now)).toContain("1 patient starting now");
  });

  it("neutralises CSV formulas and quotes separators", () => {
    expect(csvCell("=SUM(A1)")).toBe("'=SUM(A1)");
    expect(csvCell('a,"b"')).toBe('"a,""b"""');
    expect(toCsv(["a", "b"], [[1, null]])).toBe("a,b\r\n1,\r\n");
  });
});

describe("permissions shape the actions", () => {
  const admin = abilitiesOf({ userId: "u", clinicId: "c", role: "clinic_admin", permissions: ["booking:view_analytics", "booking:manage_reminders"] });
  const manager = abilitiesOf({ userId: "u", clinicId: "c", role: "manager", permissions: ["booking:view_analytics", "booking:manage_reminders"] });
  const staff = abilitiesOf({ userId: "u", clinicId: "c", role: "staff", permissions: ["booking:view_analytics"] });

  it("offers launch to a clinic admin only, edits to managers, nothing to staff", () => {
    expect(actionsFor("DRAFT", admin)).toEqual(["edit", "duplicate", "delete", "launch"]);
    expect(actionsFor("DRAFT", manager)).toEqual(["edit", "duplicate", "delete"]);
    expect(actionsFor("DRAFT", staff)).toEqual([]);
    expect(actionsFor("ACTIVE", manager)).toEqual(["duplicate", "pause", "cancel"]);
    expect(actionsFor("PAUSED", admin)).toEqual(["duplicate", "resume", "cancel"]);
  });
});

describe("A/B and lift in plain words", () => {
  it("names the higher variant and whether the difference is real", () => {
    const text = describeComparison({ metric: "rebooked", variantA: "A", variantB: "B", rateA: 0.1, rateB: 0.2, pValue: 0.012, significant: true });
    expect(text).toBe("B's rebooking rate is higher (20.0% against 10.0% for A); the difference is significant, p = 0.01.");
    const chance = describeComparison({ metric: "responded", variantA: "A", variantB: "B", rateA: 0.3, rateB: 0.2, pValue: 0.4, significant: false });
    expect(chance).toContain("could be chance, p = 0.40");
  });

  it("describes the holdout lift", () => {
    expect(describeLift({ heldOut: 0, significant: false })).toContain("No holdout");
    const lift = describeLift({ heldOut: 100, holdoutRebookRate: 0.05, treatedRebookRate: 0.12, absoluteLift: 0.07, incrementalRebookings: 63, pValue: 0.03, significant: true });
    expect(lift).toContain("+7.0 points, about 63 extra rebookings — significant, p = 0.03");
  });
});

import { formFieldOf, fromCampaign, isoToLocal, localToIso, newForm, targetingOf, toInput } from "./campaignForm";

describe("the campaign form", () => {
  it("numbers steps per variant and keeps what was typed through a round trip", () => {
    const form = { ...newForm(), name: "Winter recall", hasIncentive: true, incentiveCode: "SMILE20", incentiveCost: "5.00" };
    form.variants = [{ name: "A", weight: 1 }, { name: "B", weight: 1 }];
    form.steps = [...form.steps, { ...form.steps[0], variant: "B" }];
    const input = toInput(form);
    expect(input.messageTemplates.map((t) => `${t.variant}${t.sequence}`)).toEqual(["A1", "A2", "B1"]);
    expect(input.messageTemplates[1].subject).toBeNull(); // an SMS has no subject
    expect(input.incentive?.incentiveCostCents).toBe(500);
    const back = fromCampaign({
      ...input,
      description: input.description,
      targeting: { ...input.targeting!, treatmentStages: input.targeting!.treatmentStages ?? [] } as never,
      messageTemplates: input.messageTemplates.map((t) => ({ ...t, delayDays: t.delayDays ?? 0, variant: t.variant ?? "A" })),
      variants: input.variants!.map((v) => ({ name: v.name, weight: v.weight ?? 1 })),
      holdoutPercent: input.holdoutPercent ?? 0,
      schedule: { ...input.schedule, sendTimes: input.schedule.sendTimes ?? [], timezone: input.schedule.timezone ?? "UTC" },
      incentive: { hasIncentive: true, incentiveDetails: null, incentiveCode: "SMILE20", incentiveCostCents: 500 },
    });
    expect(back.steps.map((s) => s.variant)).toEqual(["A", "A", "B"]);
    expect(back.incentiveCost).toBe("5.00");
  });

  it("reads dates in the campaign's time zone", () => {
    expect(localToIso("2026-12-03T10:00", "America/Chicago")).toBe("2026-12-03T16:00:00.000Z");
    expect(localToIso("2026-07-03T10:00", "America/Chicago")).toBe("2026-07-03T15:00:00.000Z");
    expect(isoToLocal("2026-12-03T16:00:00Z", "America/Chicago")).toBe("2026-12-03T10:00");
  });

  it("puts a server error path on its form field", () => {
    expect(formFieldOf("targeting.inactiveDays")).toBe("inactiveDays");
    expect(formFieldOf("messageTemplates.0.body")).toBe("messageTemplates.0.body");
    expect(formFieldOf("schedule.sendTimes.0")).toBe("sendTimes");
  });
});

import { MERGE_FIELDS } from "./campaignForm";
import { messagesLine } from "./households";

describe("households", () => {
  it("offer their merge fields in the editor's list", () => {
    expect(MERGE_FIELDS).toEqual(expect.arrayContaining(["household.names", "household.size"]));
  });

  it("are grouped unless the campaign turns it off, through a round trip", () => {
    expect(newForm().groupHouseholds).toBe(true);
    expect(toInput(newForm()).groupHouseholds).toBe(true);
    const off = toInput({ ...newForm(), groupHouseholds: false });
    expect(off.groupHouseholds).toBe(false);
    const saved = { ...newForm(), name: "Recall" };
    const loaded = (groupHouseholds?: boolean | null) =>
      fromCampaign({
        ...toInput(saved),
        targeting: { ...targetingOf(saved), treatmentStages: [] },
        messageTemplates: [],
        variants: [],
        holdoutPercent: 0,
        schedule: { sendTimes: [], timezone: "UTC" },
        incentive: { hasIncentive: false, incentiveCostCents: 0 },
        groupHouseholds,
      }).groupHouseholds;
    expect(loaded(false)).toBe(false);
    expect(loaded(null)).toBe(true); // a campaign saved before the setting existed grouped
  });

  it("say how many messages the first step sends", () => {
    expect(messagesLine(2, 3, true)).toBe("2 messages by the first step for 3 patients: patients sharing a contact get one together.");
    expect(messagesLine(3, 3, true)).toBe("3 messages by the first step; no patients share a contact.");
    expect(messagesLine(1, 1, false)).toBe("1 message by the first step, one per patient.");
  });
});

import { orderedStages, stageLabel } from "./stages";

describe("treatment stages", () => {
  it("are sent in the known order whatever order they were ticked in, unknown ones kept last", () => {
    expect(orderedStages(["RETENTION", "NEW_PATIENT"])).toEqual(["NEW_PATIENT", "RETENTION"]);
    expect(orderedStages(["LEGACY_STAGE", "HYGIENE_RECALL"])).toEqual(["HYGIENE_RECALL", "LEGACY_STAGE"]);
    expect(stageLabel("HYGIENE_RECALL")).toBe("Hygiene recall");
    expect(stageLabel("LEGACY_STAGE")).toBe("legacy stage");
  });
});

import { targetingSummary } from "./audiences";

describe("saved audiences", () => {
  it("say their targeting in words", () => {
    const t = { inactiveDays: 180, treatmentStages: ["HYGIENE_RECALL"], includeNoShows: true, includeDropouts: false };
    expect(targetingSummary(t)).toBe("Last visit 180+ days ago · Hygiene recall · no dropouts");
    expect(targetingSummary({ ...t, treatmentStages: [], includeNoShows: false, includeDropouts: true })).toBe(
      "Last visit 180+ days ago · every stage · no no-shows",
    );
  });

  it("travel with a campaign's form and back", () => {
    const input = toInput({ ...newForm(), name: "Recall", savedAudienceId: "aud-1" });
    expect(input.savedAudienceId).toBe("aud-1");
    expect(toInput(newForm()).savedAudienceId).toBeNull();
  });
});

import { fileNameOf } from "./download";
import { defaultRange } from "./reports";

describe("exports", () => {
  it("save under the gateway's file name", () => {
    expect(fileNameOf('attachment; filename="stats-c1.pdf"', "x.pdf")).toBe("stats-c1.pdf");
    expect(fileNameOf(null, "x.pdf")).toBe("x.pdf");
  });

  it("start the reports at this month so far", () => {
    expect(defaultRange(new Date("2026-11-26T16:00:00Z"))).toEqual({ from: "2026-11-01", to: "2026-11-26" });
  });
});

import { endpointHealth } from "./webhooks";

describe("webhook endpoints", () => {
  it("say how their last delivery went", () => {
    expect(endpointHealth(null)).toEqual({ text: "No deliveries yet", failing: false });
    const at = "2026-11-26T16:00:00Z";
    expect(endpointHealth({ outcome: "DELIVERED", statusCode: 200, at }, "UTC").text).toBe("Delivered Nov 26, 2026, 4:00 PM");
    const failing = endpointHealth({ outcome: "RETRYING", statusCode: 500, at, nextAt: "2026-11-26T16:00:30Z" }, "UTC");
    expect(failing).toEqual({ text: "Failing (HTTP 500), next try Nov 26, 2026, 4:00 PM", failing: true });
    expect(endpointHealth({ outcome: "GAVE_UP", statusCode: null, error: "ConnectError", at }, "UTC").text).toBe("Gave up Nov 26, 2026, 4:00 PM (ConnectError)");
  });
});
