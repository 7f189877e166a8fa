"""The JSON shapes of the REST paths, for the OpenAPI document.

A campaign, its stats and its recipients are the shared resource models
(`reengage_common.resources`) their services answer with, so the document cannot drift from
them; the shapes here are the gateway's own (errors, pages, counters, the preview).
"""

from typing import Any, Literal

from pydantic import ConfigDict, Field

from reengage_common.error_codes import FieldErrorCode
from reengage_common.events import Channel, Wire
from reengage_common.resources.campaigns import Campaign
from reengage_common.resources.recipients import Recipient


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


class RecipientPage(Wire):
    items: list[Recipient]
    page_info: PageInfo
    total_count: int
