// What the signed-in user may do, from `me` (the server still decides; these only shape the UI).
export const VIEW = "booking:view_analytics";
export const MANAGE = "booking:manage_reminders";

export type Viewer = { userId: string; clinicId: string; role: string; permissions: readonly string[] };

export type Abilities = { view: boolean; manage: boolean; launch: boolean };

export function abilitiesOf(viewer: Viewer | null | undefined): Abilities {
  const has = (p: string) => !!viewer?.permissions.includes(p);
  return { view: has(VIEW), manage: has(MANAGE), launch: has(MANAGE) && viewer?.role === "clinic_admin" };
}

export type CampaignAction = "edit" | "duplicate" | "delete" | "launch" | "pause" | "resume" | "cancel";

const ALLOWED_FROM: Record<CampaignAction, readonly string[]> = {
  edit: ["DRAFT"],
  duplicate: ["DRAFT", "SCHEDULED", "ACTIVE", "PAUSED", "COMPLETED", "CANCELLED"],
  delete: ["DRAFT"],
  launch: ["DRAFT"],
  pause: ["ACTIVE"],
  resume: ["PAUSED"],
  cancel: ["SCHEDULED", "ACTIVE", "PAUSED"],
};

/** The row actions a campaign in `status` offers to a user with `abilities`. */
export function actionsFor(status: string, abilities: Abilities): CampaignAction[] {
  const all = Object.keys(ALLOWED_FROM) as CampaignAction[];
  return all.filter((action) => {
    if (!ALLOWED_FROM[action].includes(status)) return false;
    if (action === "launch") return abilities.launch;
    return abilities.manage;
  });
}
