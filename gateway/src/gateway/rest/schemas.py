"""The JSON shapes of the REST paths, for the OpenAPI document.

The campaign itself is the shared resource model campaign-svc validates with, so the document
cannot drift from the service; the shapes here are the gateway's own (errors, pages, counters).
"""

from typing import Any, Literal

from pydantic import AwareDatetime, ConfigDict, Field

from reengage_common.error_codes import FieldErrorCode
from reengage_common.events import Channel, Wire
from reengage_common.resources.campaigns import Campaign


class FieldProblem(Wire):
    field: str = Field(examples=["messageTemplates.0.subject"])
    message: str
    code: FieldErrorCode = Field(
        description="What is wrong, for a client that reacts without parsing the message"
    )


class ErrorDetail(Wire):
    code: Literal[
        "UNAUTHENTICATED",
        "FORBIDDEN",
        "NOT_FOUND",
        "NOT_ALLOWED",
        "VALIDATION",
        "NOT_AVAILABLE",
        "SERVICE_FAILED",
    ]
    message: str
    fields: list[FieldProblem] | None = Field(default=None, description="Only for VALIDATION")


class ErrorBody(Wire):
    error: ErrorDetail


class CampaignCounts(Wire):
    """The spec's counters of a campaign, from tracking-svc's stats."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    target_count: int = 0
    sent_count: int = 0
    response_count: int = 0
    rebooked_count: int = 0
    stats_available: bool = Field(
        default=True, description="false while tracking-svc does not answer: the counts are 0"
    )


class CampaignWithCounts(Campaign, CampaignCounts):
    """A campaign as the REST paths answer it: campaign-svc's resource plus its counters."""


class PageInfo(Wire):
    has_next_page: bool
    end_cursor: str | None = Field(description="Pass as `after` for the next page")


class CampaignPage(Wire):
    items: list[CampaignWithCounts]
    page_info: PageInfo
    total_count: int


class DeletedCampaign(Wire):
    id: str
    deleted: bool


class PreviewRequest(Wire):
    patient_id: str | None = Field(default=None, description="Render with this patient's data")
    sample_data: dict[str, Any] | None = Field(default=None, description="Or with these values")
    language: str | None = Field(
        default=None,
        description="Preview in this language (es, es-MX): each step's template in it, else the "
        "default one; default: the patient's language, else the campaign's default language",
    )


class SmsSize(Wire):
    encoding: Literal["GSM-7", "UCS-2"]
    characters: int
    segments: int


class PreviewMessage(Wire):
    channel: Channel
    sequence: int
    variant: str
    language: str = Field(description="The language of the step's template shown")
    subject: str | None = None
    body: str
    html: str | None = Field(default=None, description="The email's HTML part; null otherwise")
    sms: SmsSize | None = None


class CampaignPreview(Wire):
    campaign_id: str
    language: str = Field(description="The language previewed")
    messages: list[PreviewMessage]


class CampaignStats(Wire):
    campaign_id: str
    targeted: int = 0
    held_out: int = 0
    excluded: dict[str, int] = Field(default_factory=dict, description="reason -> patients")
    recipients: int
    contacted: int = 0
    sent: int
    delivered: int
    failed: int
    skipped: int = 0
    responded: int
    interested: int
    not_interested: int = 0
    clicked: int = 0
    replied: int = 0
    rebooked: int
    unsubscribed: int
    bounced: int
    message_cost_cents: int = 0
    incentives_redeemed: int = 0
    incentive_cost_cents: int = 0
    revenue_cents: int
    cost_cents: int
    roi: float | None = Field(description="(revenue from rebooked - cost) / cost")
    rates: dict[str, float | None] = Field(default_factory=dict)
    status_counts: dict[str, int] = Field(default_factory=dict)
    by_variant: list[dict[str, Any]] = Field(default_factory=list)
    by_channel: list[dict[str, Any]] = Field(default_factory=list)
    by_step: list[dict[str, Any]] = Field(default_factory=list)
    ab_tests: list[dict[str, Any]] = Field(
        default_factory=list, description="two-proportion z-tests; a winner only when p < 0.05"
    )
    winner: dict[str, str | None] = Field(default_factory=dict)
    lift: dict[str, Any] = Field(default_factory=dict, description="against the holdout")


# tracking-svc's recipient statuses, from the least to the most advanced.
RECIPIENT_STATUSES = ("PENDING", "CONTACTED", "BOUNCED", "RESPONDED", "UNSUBSCRIBED", "REBOOKED")


class Recipient(Wire):
    patient_id: str
    first_name: str | None = None
    last_name: str | None = None
    name: str | None = None
    status: str
    response: str | None = None
    variant: str | None = None
    holdout: bool = False
    channel: Channel | None = None
    channels: list[Channel] = Field(default_factory=list)
    last_contacted_at: AwareDatetime | None = None
    contact_attempts: int = 0
    responded_at: AwareDatetime | None = None
    rebooked_appointment_id: str | None = None
    last_event_at: AwareDatetime | None = None
    history: list[dict[str, Any]] = Field(default_factory=list)
    replies: list[dict[str, Any]] = Field(default_factory=list)
    cursor: str | None = None


class RecipientPage(Wire):
    items: list[Recipient]
    page_info: PageInfo
    total_count: int
