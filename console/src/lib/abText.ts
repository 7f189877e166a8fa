// The A/B comparison and the holdout lift in plain words.
import { percent } from "./format";

export type Comparison = {
  metric: string;
  variantA: string;
  variantB: string;
  rateA?: number | null;
  rateB?: number | null;
  pValue?: number | null;
  significant: boolean;
};

const METRIC: Record<string, string> = { responded: "response rate", rebooked: "rebooking rate" };

export function pText(p: number): string {
  return p < 0.001 ? "p < 0.001" : `p = ${p.toFixed(p < 0.01 ? 3 : 2)}`;
}

export function describeComparison(c: Comparison): string {
  const metric = METRIC[c.metric] ?? c.metric;
  if (c.rateA == null || c.rateB == null) return `Not enough recipients yet to compare the ${metric}.`;
  if (c.rateA === c.rateB) {
    return `${c.variantA} and ${c.variantB} have the same ${metric} (${percent(c.rateA)}).`;
  }
  const [high, low, hr, lr] =
    c.rateB > c.rateA ? [c.variantB, c.variantA, c.rateB, c.rateA] : [c.variantA, c.variantB, c.rateA, c.rateB];
  const base = `${high}'s ${metric} is higher (${percent(hr)} against ${percent(lr)} for ${low})`;
  if (c.pValue == null) return `${base}; too few recipients to tell whether the difference is real.`;
  return c.significant
    ? `${base}; the difference is significant, ${pText(c.pValue)}.`
    : `${base}, but the difference could be chance, ${pText(c.pValue)}.`;
}

export type Lift = {
  heldOut: number;
  holdoutRebookRate?: number | null;
  treatedRebookRate?: number | null;
  absoluteLift?: number | null;
  incrementalRebookings?: number | null;
  pValue?: number | null;
  significant: boolean;
};

export function describeLift(l: Lift): string {
  if (!l.heldOut) return "No holdout group: the lift cannot be measured.";
  if (l.treatedRebookRate == null || l.holdoutRebookRate == null)
    return `${l.heldOut} patients held out; not enough results yet to measure the lift.`;
  const diff = l.absoluteLift ?? l.treatedRebookRate - l.holdoutRebookRate;
  const extra =
    l.incrementalRebookings != null ? `, about ${Math.round(l.incrementalRebookings)} extra rebookings` : "";
  const verdict =
    l.pValue == null ? "" : l.significant ? ` — significant, ${pText(l.pValue)}` : ` — could be chance, ${pText(l.pValue)}`;
  return `Contacted patients rebooked at ${percent(l.treatedRebookRate)} against ${percent(
    l.holdoutRebookRate,
  )} for the ${l.heldOut} held out: ${diff >= 0 ? "+" : ""}${(diff * 100).toFixed(1)} points${extra}${verdict}.`;
}
