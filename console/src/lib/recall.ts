// A targeting's recall window as the editor holds it, and the estimate's buckets in words.
// The rules (due date = last visit + the patient's recall interval): audience-svc's
// domain/recall.py.

export type RecallForm = {
  on: boolean; // off: no recall criterion (the inactivity alone decides)
  overdueByMonths: number; // 0: due this month or overdue
  maxOverdueMonths: string; // "": no upper bound
  dueSince: string; // "YYYY-MM-DD", "": any date
};

export type RecallWindow = { overdueByMonths: number; maxOverdueMonths: number | null; dueSince: string | null };
export type SavedRecall = { overdueByMonths: number; maxOverdueMonths?: number | null; dueSince?: string | null };

export function newRecall(): RecallForm {
  return { on: false, overdueByMonths: 0, maxOverdueMonths: "", dueSince: "" };
}

export function recallInput(form: RecallForm): RecallWindow | null {
  if (!form.on) return null;
  const top = form.maxOverdueMonths.trim();
  return {
    overdueByMonths: Number.isFinite(form.overdueByMonths) ? Math.trunc(form.overdueByMonths) : 0,
    // sent as typed (a non-number as NaN's null would hide the mistake): the server names it
    maxOverdueMonths: top === "" ? null : Math.trunc(Number(top)),
    dueSince: form.dueSince || null,
  };
}

export function recallFormOf(saved: SavedRecall | null | undefined): RecallForm {
  if (!saved) return newRecall();
  return {
    on: true,
    overdueByMonths: saved.overdueByMonths,
    maxOverdueMonths: saved.maxOverdueMonths == null ? "" : String(saved.maxOverdueMonths),
    dueSince: saved.dueSince ?? "",
  };
}

export type RecallBuckets = {
  dueThisMonth: number;
  overdue1To3Months: number;
  overdue3To12Months: number;
  overdue12PlusMonths: number;
  notDue: number;
};

/** The buckets in the order a front desk reads them: soonest first. */
export function recallLines(b: RecallBuckets): { key: keyof RecallBuckets; label: string; patients: number }[] {
  return [
    { key: "dueThisMonth", label: "due this month", patients: b.dueThisMonth },
    { key: "overdue1To3Months", label: "1–3 months overdue", patients: b.overdue1To3Months },
    { key: "overdue3To12Months", label: "3–12 months overdue", patients: b.overdue3To12Months },
    { key: "overdue12PlusMonths", label: "12+ months overdue", patients: b.overdue12PlusMonths },
    { key: "notDue", label: "not due yet", patients: b.notDue },
  ];
}

/** A recall window in words: "recall due", "recall 3–12 months overdue", "… since 2026-06-01". */
export function recallWords(recall: SavedRecall | null | undefined): string | null {
  if (!recall) return null;
  const least = recall.overdueByMonths;
  const most = recall.maxOverdueMonths;
  let words: string;
  if (most != null) words = `recall ${least}–${most} months overdue`;
  else if (least > 0) words = `recall ${least}+ months overdue`;
  else words = "recall due";
  return recall.dueSince ? `${words} since ${recall.dueSince}` : words;
}
