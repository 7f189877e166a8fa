"""The JSON shapes of the REST paths, for the OpenAPI document only (the services validate).

Campaign pieces reuse the event contract's models, so the document cannot drift from them.
"""

from typing import Any, Literal

from pydantic import AwareDatetime, Field

from reengage_common.events import (
    CampaignStatus,
    Channel,
    Incentive,
    MessageTemplate,
    Schedule,
    Targeting,
    Variant,
    Wire,
)


class FieldProblem(Wire):
    field: str = Field(examples=["messageTemplates.0.subject"])
    message: str


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


class CampaignInput(Wire):
    name: str
    description: str | None = None
    targeting: Targeting
    channels: list[Channel]
    message_templates: list[MessageTemplate]
    variants: list[Variant] | None = None
    holdout_percent: float | None = None
    schedule: Schedule
    incentive: Incentive | None = None
    refresh_daily: bool | None = None


class Campaign(CampaignInput):
    id: str
    clinic_id: str
    status: CampaignStatus
    run_number: int
    created_by: str | None = None
    created_at: AwareDatetime
    updated_at: AwareDatetime
    launched_at: AwareDatetime | None = None
    completed_at: AwareDatetime | None = None
    # tracking-svc's figures (null while it is down); the same as /stats' counts.
    target_count: int | None = None
    sent_count: int | None = None
    response_count: int | None = None
    rebooked_count: int | None = None


class PageInfo(Wire):
    has_next_page: bool
    end_cursor: str | None = Field(description="Pass as `after` for the next page")


class CampaignPage(Wire):
    items: list[Campaign]
    page_info: PageInfo
    total_count: int


class DeletedCampaign(Wire):
    id: str
    deleted: bool


class PreviewRequest(Wire):
    patient_id: str | None = Field(default=None, description="Render with this patient's data")
    sample_data: dict[str, Any] | None = Field(default=None, description="Or with these values")


class SmsSize(Wire):
    encoding: Literal["GSM-7", "UCS-2"]
    characters: int
    segments: int


class PreviewMessage(Wire):
    channel: Channel
    sequence: int
    variant: str
    subject: str | None = None
    body: str
    sms: SmsSize | None = None


class CampaignPreview(Wire):
    campaign_id: str
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
