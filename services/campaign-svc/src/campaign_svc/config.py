"""Settings of campaign-svc only."""

from pydantic import Field

from reengage_common.settings import Settings


class CampaignSettings(Settings):
    service: str = "campaign-svc"
    # How often the scheduler looks for campaigns to activate at startDate or complete at endDate.
    scheduler_interval_seconds: float = Field(default=5.0, gt=0)
    # Shown in previews until clinic profiles exist; a preview's sampleData may override it.
    preview_clinic_name: str = "Bright Smiles Dental"
    preview_clinic_phone: str = "(555) 010-0100"
    preview_clinic_address: str = "100 Main Street, Springfield"
