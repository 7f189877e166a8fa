"""Settings of tracking-svc only."""

from pydantic import AwareDatetime, Field

from reengage_common.settings import PatientLinkSettings, public_https_problem, secret_problems

# The demo clinic's booking page: fine locally, never where a real patient is sent.
DEVELOPMENT_BOOKING_URL = "https://brightsmiles.example/book"


class TrackingSettings(PatientLinkSettings):
    service: str = "tracking-svc"
    # The public routes (/u, /b, /webhooks) listen here, apart from the internal API on PORT:
    # the one port a deployment exposes (PUBLIC_BASE_URL leads to it). API role only.
    public_port: int = Field(default=8105, ge=1, le=65535)
    # The email provider's event webhook sends this in X-Webhook-Secret; unset refuses them all.
    email_webhook_secret: str | None = None
    # A booking this many days after a campaign's last contact is that campaign's rebooking.
    attribution_days: int = Field(default=30, ge=1)
    # Where /b/ sends a patient when the campaign's clinic profile has no booking page.
    fallback_booking_url: str = DEVELOPMENT_BOOKING_URL
    # Public endpoints read at most this much body; Twilio's largest form is a few kB.
    max_public_body_bytes: int = Field(default=64 * 1024, ge=1024)
    # Per clinic, links made before this moment are refused (a leaked or mis-sent batch):
    # LINK_REVOKED_BEFORE='{"clinic-a": "2026-12-01T00:00:00Z"}'. Links made after it work.
    link_revoked_before: dict[str, AwareDatetime] = Field(default_factory=dict)
    # The compactor folds new fact pages into campaign snapshots this often when it is idle.
    compact_interval_seconds: float = Field(default=0.5, gt=0)
    # After a round that folded pages it rests this long. Readers fold the pages not folded
    # yet themselves (each replica only those it has not seen: snapshots.View), so answers
    # stay exact; a send's stream is then folded in a few large rounds rather than one every
    # second, each rewriting every shard the send touched and making every reader read them
    # again (during a 100,000-email send: 12 rounds, 20 of PostgreSQL's 34 seconds).
    compact_rest_seconds: float = Field(default=15.0, ge=0)
    # Off: no compactor on this replica (benchmarks measure the unfolded worst case with it).
    compactor: bool = True
    # A campaign's stats asked again within the first are answered as computed; within the
    # second, as computed while fresher ones are (reengage_common.recent); 0 computes each.
    stats_fresh_seconds: float = Field(default=1.0, ge=0)
    stats_stale_seconds: float = Field(default=10.0, ge=0)

    def production_problems(self) -> list[str]:
        # With a public webhook secret anyone could forge bounces; the booking fallback is
        # what patients open (links and the Twilio token: PatientLinkSettings).
        problems = super().production_problems()
        problems += secret_problems("EMAIL_WEBHOOK_SECRET", self.email_webhook_secret)
        return problems + self._booking_fallback_problems()

    def _booking_fallback_problems(self) -> list[str]:
        if self.fallback_booking_url == DEVELOPMENT_BOOKING_URL:
            return ["FALLBACK_BOOKING_URL: the demo clinic's page; set your own booking page"]
        problem = public_https_problem("FALLBACK_BOOKING_URL", self.fallback_booking_url)
        return [problem] if problem else []
