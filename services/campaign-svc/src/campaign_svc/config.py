"""Settings of campaign-svc only."""

from pydantic import Field

from reengage_common.events import ClinicProfile
from reengage_common.settings import Settings


class CampaignSettings(Settings):
    service: str = "campaign-svc"
    # How often the scheduler looks for campaigns to activate at startDate or complete at endDate.
    scheduler_interval_seconds: float = Field(default=5.0, gt=0)
    # Shown in previews until clinic profiles exist; a preview's sampleData may override it.
    preview_clinic_name: str = "Bright Smiles Dental"
    preview_clinic_phone: str = "(555) 010-0100"
    preview_clinic_address: str = "100 Main Street, Springfield"
    # Until clinic profiles exist, one profile per deployment travels in campaign.launched:
    # dispatch prints its address in the email footer, tracking redirects to its booking page.
    clinic_email: str = "hello@brightsmiles.example"
    clinic_booking_url: str = "https://brightsmiles.example/book"
    clinic_timezone: str = "America/Chicago"

    def clinic_profile(self) -> ClinicProfile:
        return ClinicProfile(
            name=self.preview_clinic_name,
            phone=self.preview_clinic_phone,
            email=self.clinic_email,
            address=self.preview_clinic_address,
            booking_url=self.clinic_booking_url,
            timezone=self.clinic_timezone,
        )
