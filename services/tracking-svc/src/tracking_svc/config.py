"""Settings of tracking-svc only."""

from pydantic import Field

from reengage_common.settings import Settings


class TrackingSettings(Settings):
    service: str = "tracking-svc"
    # Twilio signs its webhooks with the account's auth token (X-Twilio-Signature).
    twilio_auth_token: str = "dev-twilio-token"
    # The email provider's event webhook sends this in X-Webhook-Secret; unset refuses them all.
    email_webhook_secret: str | None = None
    # A booking this many days after a campaign's last contact is that campaign's rebooking.
    attribution_days: int = Field(default=30, ge=1)
    # Where /b/ sends a patient when the campaign's clinic profile has no booking page.
    fallback_booking_url: str = "https://brightsmiles.example/book"
    # Public endpoints read at most this much body; Twilio's largest form is a few kB.
    max_public_body_bytes: int = Field(default=64 * 1024, ge=1024)
    # The compactor folds new fact pages into campaign snapshots this often when it is idle
    # (a round that folded something is followed at once by the next).
    compact_interval_seconds: float = Field(default=0.5, gt=0)
    # Off: no compactor on this replica (benchmarks measure the unfolded worst case with it).
    compactor: bool = True
