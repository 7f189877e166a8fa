"""Settings of dispatch-svc only: providers, costs, rate limits and the sender's pace.

Every provider setting comes from the environment, so `SMTP_HOST=smtp.example.com ./dev up`
sends through that server instead of the local Mailpit.
"""

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field

from reengage_common.settings import PatientLinkSettings


class DispatchSettings(PatientLinkSettings):
    service: str = "dispatch-svc"

    # --- email over SMTP ---------------------------------------------------------------------
    # The SMTP server (a local Mailpit in development) and its login, if it needs one.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    # SMTP connections kept open and shared by the email senders (each sends many messages).
    # 64 keep a local Mailpit busy: it spends less CPU per message over more connections
    # (bench_dispatch, docs/perf.md).
    # A real provider may allow fewer: set it to the provider's limit.
    smtp_connections: int = Field(default=64, ge=1)
    smtp_timeout_seconds: float = Field(default=20.0, gt=0)
    email_from: str = "Re-engage <noreply@reengage.example>"
    # An extra `mailto:` way out in List-Unsubscribe (RFC 2369), e.g. unsubscribe@clinic.example.
    email_unsubscribe_mailto: str | None = None

    # --- SMS through Twilio's Messages API ---------------------------------------------------
    # Twilio's API (the local stand-in in development), the account, the sending number.
    twilio_api_base: str = "https://api.twilio.com"
    twilio_account_sid: str = "AC00000000000000000000000000000000"
    # (TWILIO_AUTH_TOKEN is shared with tracking-svc: PatientLinkSettings)
    sms_from: str = Field(
        default="+15005550006", validation_alias=AliasChoices("sms_from", "twilio_from_number")
    )
    sms_connections: int = Field(default=64, ge=1)

    # --- postal mail: Lob's letters API, or PDFs + a CSV manifest for a print house ----------
    # `lob`, or `pdf` for PDFs and a CSV manifest in MAIL_OUTBOX_DIR; Lob's API and key.
    mail_provider: Literal["lob", "pdf"] = "lob"
    lob_api_base: str = "https://api.lob.com"
    lob_api_key: str = "test_dev_lob_key"
    # A return address saved at Lob (adr_…); without it the clinic's profile is the sender.
    lob_from_address_id: str | None = None
    mail_outbox_dir: Path = Path("mail-outbox")

    # One provider call's deadline (Twilio, Lob).
    provider_timeout_seconds: float = Field(default=15.0, gt=0)

    # --- cost on each message.sent ------------------------------------------------------------
    # Cents per email, per SMS segment, per letter.
    email_cost_cents: int = Field(default=0, ge=0)
    sms_cost_cents_per_segment: int = Field(default=1, ge=0)
    mail_cost_cents: int = Field(default=85, ge=0)

    # --- pace and safety ------------------------------------------------------------------------
    # Messages per second per channel (a token bucket); 0 turns the limit off.
    email_rate_per_second: float = Field(default=0, ge=0)
    sms_rate_per_second: float = Field(default=0, ge=0)
    mail_rate_per_second: float = Field(default=0, ge=0)
    # Provider calls at once per channel. A crash can repeat at most this many SMTP/Twilio
    # sends in all: a sender slot is freed only once its outcome is stored.
    email_concurrency: int = Field(default=256, ge=1)
    sms_concurrency: int = Field(default=64, ge=1)
    mail_concurrency: int = Field(default=8, ge=1)
    # Attempts of one provider call on transient errors (5xx, 429, timeouts), with backoff.
    send_attempts: int = Field(default=4, ge=1)
    retry_wait_max_seconds: float = Field(default=4.0, ge=0)
    # A claim older than this is presumed dead (its sender crashed) and the message is retried.
    claim_ttl_seconds: float = Field(default=60.0, gt=0)
    # How often the sender looks for due messages when nothing wakes it sooner.
    sender_tick_seconds: float = Field(default=0.5, gt=0)
    # Messages claimed per round trip.
    claim_batch: int = Field(default=500, ge=1)
    # How long outcomes gather before one insert stores them (and one publish sends their
    # events): each flush is two FerretDB commands, whatever its size. Shorter is more
    # commands per email, longer leaves senders waiting on their outcomes (docs/perf.md).
    outcome_linger_seconds: float = Field(default=0.03, ge=0)

    # --- outbound webhooks (a clinic's endpoints for responses, rebookings, unsubscribes) ------
    # One delivery's deadline; how often the deliverer looks for due deliveries.
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    webhook_tick_seconds: float = Field(default=1.0, gt=0)
    # A PEM file of extra certificate authorities to trust for endpoints (a clinic's private
    # CA; the tests' local receiver); the system's CAs are trusted always.
    webhook_ca_file: Path | None = None
    # Accept endpoints on localhost and private addresses (development and tests only: in
    # production an endpoint must be a public https address).
    webhook_allow_private_hosts: bool = False
