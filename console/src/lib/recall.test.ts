import { describe, expect, it } from "vitest";
import { fromCampaign, newForm, targetingOf, toInput } from "./campaignForm";
import { recallFormOf, recallInput, recallLines } from "./recall";

describe("the recall criterion", () => {
  it("is left out until ticked, then sent as typed", () => {
    const form = newForm();
    expect(targetingOf(form).recall).toBeNull();
    const on = { ...form.recall, on: true, overdueByMonths: 1, maxOverdueMonths: "3", dueSince: "2026-06-01" };
    expect(recallInput(on)).toEqual({ overdueByMonths: 1, maxOverdueMonths: 3, dueSince: "2026-06-01" });
    expect(recallInput({ ...on, maxOverdueMonths: " ", dueSince: "" })).toEqual({ overdueByMonths: 1, maxOverdueMonths: null, dueSince: null });
  });

  it("loads back from a saved campaign the same", () => {
    const form = { ...newForm(), recall: { on: true, overdueByMonths: 3, maxOverdueMonths: "12", dueSince: "" } };
    const input = toInput(form);
    const back = fromCampaign({
      ...input,
      targeting: { ...input.targeting!, treatmentStages: [], recall: input.targeting!.recall } as never,
      messageTemplates: [],
      variants: [],
      holdoutPercent: 0,
      schedule: { sendTimes: [], timezone: "UTC" },
      incentive: { hasIncentive: false, incentiveCostCents: 0 },
    });
    expect(back.recall).toEqual(form.recall);
    expect(recallFormOf(null).on).toBe(false);
  });

  it("says the estimate's buckets soonest first", () => {
    const lines = recallLines({ dueThisMonth: 4, overdue1To3Months: 3, overdue3To12Months: 2, overdue12PlusMonths: 1, notDue: 7 });
    expect(lines.map((l) => `${l.patients} ${l.label}`)).toEqual([
      "4 due this month",
      "3 1–3 months overdue",
      "2 3–12 months overdue",
      "1 12+ months overdue",
      "7 not due yet",
    ]);
  });
});

import { targetingSummary } from "./audiences";
import { recallWords } from "./recall";

describe("a saved audience's recall window", () => {
  it("is said in words beside its other rules", () => {
    expect(recallWords(null)).toBeNull();
    expect(recallWords({ overdueByMonths: 0 })).toBe("recall due");
    expect(recallWords({ overdueByMonths: 3 })).toBe("recall 3+ months overdue");
    expect(recallWords({ overdueByMonths: 1, maxOverdueMonths: 3, dueSince: "2026-06-01" })).toBe("recall 1–3 months overdue since 2026-06-01");
    const t = { inactiveDays: 30, treatmentStages: [], includeNoShows: true, includeDropouts: true, recall: { overdueByMonths: 0 } };
    expect(targetingSummary(t)).toBe("Last visit 30+ days ago · every stage · recall due");
  });
});
