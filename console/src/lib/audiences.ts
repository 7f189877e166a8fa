// A saved audience's targeting in words, for its row on the Audiences page.
import { recallWords, type SavedRecall } from "./recall";
import { stageLabel } from "./stages";

type TargetingWords = {
  inactiveDays: number;
  treatmentStages: readonly string[];
  includeNoShows: boolean;
  includeDropouts: boolean;
  recall?: SavedRecall | null;
};

/** "Last visit 180+ days ago · Hygiene recall · no dropouts" */
export function targetingSummary(t: TargetingWords): string {
  const parts = [`Last visit ${t.inactiveDays}+ days ago`];
  parts.push(t.treatmentStages.length ? t.treatmentStages.map(stageLabel).join(", ") : "every stage");
  if (!t.includeNoShows) parts.push("no no-shows");
  if (!t.includeDropouts) parts.push("no dropouts");
  const recall = recallWords(t.recall);
  if (recall) parts.push(recall);
  return parts.join(" · ");
}
