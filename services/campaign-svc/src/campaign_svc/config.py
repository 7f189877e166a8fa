"""Settings of campaign-svc only."""

from pydantic import Field

from campaign_svc.domain.senders import VerifiedSenders
from reengage_common.settings import Settings

# The local tooling's and the tests' clinics send from reserved `.example` domains (RFC 2606):
# in development and test these are verified unless VERIFIED_SENDER_DOMAINS says otherwise.
DEVELOPMENT_SENDER_DOMAINS = "*.example"


class CampaignSettings(Settings):
    service: str = "campaign-svc"
    # How often the scheduler looks for campaigns to activate at startDate or complete at endDate.
    scheduler_interval_seconds: float = Field(default=5.0, gt=0)
    # Email sender domains the platform verified, comma-separated ("clinic.com, *.clinic.com").
    # Unset in production means none: every email launch is refused until it is set.
    verified_sender_domains: str | None = None
    # The SMS numbers assigned to each clinic, as JSON {"clinic-a": ["+13125550100"]}. Unset in
    # production means none (every SMS launch refused); in development, any number.
    sms_numbers: dict[str, list[str]] | None = None

    def verified_senders(self) -> VerifiedSenders:
        development = self.env != "production"
        domains = self.verified_sender_domains
        if domains is None and development:
            domains = DEVELOPMENT_SENDER_DOMAINS
        numbers = self.sms_numbers
        if numbers is None and not development:
            numbers = {}
        return VerifiedSenders(
            email_domains=frozenset(
                d.strip().lower().rstrip(".") for d in (domains or "").split(",") if d.strip()
            ),
            sms_numbers=None
            if numbers is None
            else {clinic: frozenset(assigned) for clinic, assigned in numbers.items()},
        )
