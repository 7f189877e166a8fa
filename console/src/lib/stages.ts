// The treatment stages a practice system sends (campaign-svc's TreatmentStage; the server
// refuses any other). tests/console/test_treatment_stages.py fails when the two lists differ.
export const TREATMENT_STAGES = [
  { value: "NEW_PATIENT", label: "New patient" },
  { value: "CONSULTATION", label: "Consultation" },
  { value: "TREATMENT_PLANNED", label: "Treatment planned" },
  { value: "ACTIVE_TREATMENT", label: "In active treatment" },
  { value: "RETENTION", label: "Retention" },
  { value: "HYGIENE_RECALL", label: "Hygiene recall" },
  { value: "COMPLETED", label: "Treatment completed" },
] as const;

/** The chosen stages in the list's order; a stage the list does not know is kept, last. */
export function orderedStages(chosen: readonly string[]): string[] {
  const known: string[] = TREATMENT_STAGES.map((s) => s.value);
  return [...known.filter((s) => chosen.includes(s)), ...chosen.filter((s) => !known.includes(s))];
}

export function stageLabel(stage: string): string {
  return TREATMENT_STAGES.find((s) => s.value === stage)?.label ?? stage.toLowerCase().replace(/_/g, " ");
}
