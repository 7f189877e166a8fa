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
    recipients: int
    sent: int
    delivered: int
    failed: int
    responded: int
    interested: int
    rebooked: int
    unsubscribed: int
    bounced: int
    revenue_cents: int
    cost_cents: int
    roi: float | None = Field(description="(revenue from rebooked - cost) / cost")


class Recipient(Wire):
    patient_id: str
    status: str
    variant: str | None = None
    channel: Channel | None = None
    last_event_at: AwareDatetime | None = None


class RecipientPage(Wire):
    items: list[Recipient]
    page_info: PageInfo
    total_count: int
