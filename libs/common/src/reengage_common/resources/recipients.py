"""The recipient resource: one patient of a campaign as tracking-svc answers its pages
(`/campaigns/{id}/recipients`), which the gateway shows over GraphQL (`Recipient`) and REST.

tracking-svc folds it (`tracking_svc.domain.recipients.Recipient.to_json`); a value it leaves
out reads as nothing happened yet (no attempts, no steps, not a holdout).
"""

from pydantic import AwareDatetime, Field

from reengage_common.events import Channel, Wire

# A recipient's statuses, from the least to the most advanced.
RECIPIENT_STATUSES = ("PENDING", "CONTACTED", "BOUNCED", "RESPONDED", "UNSUBSCRIBED", "REBOOKED")


class RecipientStep(Wire):
    """One message step sent (or due) to a recipient."""

    message_id: str | None = None
    sequence: int = 0
    channel: Channel | None = None
    outcome: str = Field(default="DUE", description="DUE, SENT, FAILED or SKIPPED")
    reason: str | None = None
    cost_cents: int = 0
    delivered: bool = False
    at: AwareDatetime | None = None
    fallback_for: str | None = Field(
        default=None,
        description="A channel fallback's: the messageId of the step's message it replaced "
        "(that one failed or bounced)",
    )


class Reply(Wire):
    """A free text the patient sent back."""

    text: str = ""
    at: AwareDatetime | None = None
    channel: Channel | None = None


class Recipient(Wire):
    patient_id: str
    first_name: str | None = None
    last_name: str | None = None
    name: str | None = None
    status: str = Field(description=", ".join(RECIPIENT_STATUSES))
    response: str | None = Field(
        default=None, description="INTERESTED, NOT_INTERESTED, REBOOKED or NO_RESPONSE"
    )
    variant: str | None = None
    holdout: bool = False
    channel: Channel | None = None
    channels: list[Channel] = Field(default_factory=list)
    last_contacted_at: AwareDatetime | None = None
    contact_attempts: int = 0
    responded_at: AwareDatetime | None = None
    rebooked_appointment_id: str | None = None
    last_event_at: AwareDatetime | None = None
    history: list[RecipientStep] = Field(default_factory=list)
    replies: list[Reply] = Field(default_factory=list)
    cursor: str | None = Field(default=None, description="Pass as `after` for the next page")
