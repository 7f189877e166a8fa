"""Settings of campaign-svc only."""

from pydantic import Field

from reengage_common.settings import Settings


class CampaignSettings(Settings):
    service: str = "campaign-svc"
    # How often the scheduler looks for campaigns to activate at startDate or complete at endDate.
    scheduler_interval_seconds: float = Field(default=5.0, gt=0)
