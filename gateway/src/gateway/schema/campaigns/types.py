"""A campaign as GraphQL shows it, built from campaign-svc's camelCase JSON."""

from collections.abc import Awaitable
from datetime import datetime
from typing import Annotated, Any

import strawberry

from gateway.operations import tracking
from gateway.operations.errors import NotAvailable, ServiceFailed
from gateway.operations.service_calls import JSONDocument
from gateway.schema.audience.recall import RecallTargeting
from gateway.schema.campaigns.languages import TemplateTranslation
from gateway.schema.enums import CampaignStatus, Channel
from gateway.schema.errors import NotAvailable as NotAvailableResult
from gateway.schema.errors import NotFound, answer_of, result_of
from gateway.schema.info import GatewayInfo
from gateway.schema.pagination import PageInfo, edge_cursors
from gateway.schema.permissions import VIEW
from gateway.schema.tracking.types import CampaignFigures
from gateway.schema.wire import to_datetime


@strawberry.type
class Targeting:
    inactive_days: int
    treatment_stages: list[str]
    include_no_shows: bool
    include_dropouts: bool
    exclude_recent_contact: bool
    exclude_contact_days: int
    recall: RecallTargeting | None

    @classmethod
    def from_wire(cls, doc: dict[str, Any]) -> "Targeting":
        return cls(
            inactive_days=doc["inactiveDays"],
            treatment_stages=list(doc.get("treatmentStages") or []),
            include_no_shows=doc.get("includeNoShows", True),
            include_dropouts=doc.get("includeDropouts", True),
            exclude_recent_contact=doc.get("excludeRecentContact", True),
            exclude_contact_days=doc.get("excludeContactDays", 30),
            recall=RecallTargeting.from_wire(doc.get("recall")),
        )


@strawberry.type
class MessageTemplate:
    channel: Channel
    subject: str | None
    body: str
    sequence: int
    delay_days: int
    variant: str
    translations: list[TemplateTranslation] = strawberry.field(
        description="The step in other languages; a patient whose language has none gets "
        "subject and body, in the campaign's defaultLanguage."
    )

    @classmethod
    def from_wire(cls, doc: dict[str, Any]) -> "MessageTemplate":
        return cls(
            channel=Channel(doc["channel"]),
            subject=doc.get("subject"),
            body=doc["body"],
            sequence=doc["sequence"],
            delay_days=doc.get("delayDays", 0),
            variant=doc.get("variant", "A"),
            translations=[
                TemplateTranslation(
                    language=t["language"], subject=t.get("subject"), body=t["body"]
                )
                for t in doc.get("translations") or []
            ],
        )


@strawberry.type
class Variant:
    name: str
    weight: int


@strawberry.type
class Schedule:
    start_date: datetime | None = strawberry.field(
        description="Null in a draft that starts when launched; the launch fills it in."
    )
    end_date: datetime | None
    send_times: list[str]
    timezone: str

    @classmethod
    def from_wire(cls, doc: dict[str, Any]) -> "Schedule":
        return cls(
            start_date=to_datetime(doc.get("startDate")),
            end_date=to_datetime(doc.get("endDate")),
            send_times=list(doc.get("sendTimes") or []),
            timezone=doc.get("timezone", "UTC"),
        )


@strawberry.type
class Incentive:
    has_incentive: bool
    incentive_details: str | None
    incentive_code: str | None
    incentive_cost_cents: int

    @classmethod
    def from_wire(cls, doc: dict[str, Any] | None) -> "Incentive":
        doc = doc or {}
        return cls(
            has_incentive=doc.get("hasIncentive", False),
            incentive_details=doc.get("incentiveDetails"),
            incentive_code=doc.get("incentiveCode"),
            incentive_cost_cents=doc.get("incentiveCostCents", 0),
        )


@strawberry.type
class Campaign:
    id: strawberry.ID
    name: str
    description: str | None
    status: CampaignStatus
    targeting: Targeting
    channels: list[Channel]
    message_templates: list[MessageTemplate]
    variants: list[Variant]
    holdout_percent: float
    schedule: Schedule
    incentive: Incentive
    refresh_daily: bool
    saved_audience_id: strawberry.ID | None = strawberry.field(
        description="The saved audience the targeting comes from, if any."
    )
    default_language: str = strawberry.field(
        description="The language of each step's own template (messageLanguages)."
    )
    run_number: int
    created_by: str | None
    created_at: datetime | None
    updated_at: datetime | None
    launched_at: datetime | None
    completed_at: datetime | None

    @strawberry.field(permission_classes=VIEW, description="Live figures from tracking-svc.")
    async def stats(self, info: GatewayInfo) -> "CampaignStatsResult | None":
        return await stats_result(_figures(info, self))

    @strawberry.field(permission_classes=VIEW, description="Patients targeted.")
    async def target_count(self, info: GatewayInfo) -> int:
        return await _figure(info, self, "targeted")

    @strawberry.field(permission_classes=VIEW, description="Messages sent.")
    async def sent_count(self, info: GatewayInfo) -> int:
        return await _figure(info, self, "sent")

    @strawberry.field(permission_classes=VIEW, description="Recipients who responded.")
    async def response_count(self, info: GatewayInfo) -> int:
        return await _figure(info, self, "responded")

    @strawberry.field(permission_classes=VIEW, description="Recipients who rebooked.")
    async def rebooked_count(self, info: GatewayInfo) -> int:
        return await _figure(info, self, "rebooked")

    @strawberry.field(
        permission_classes=VIEW,
        description="False while tracking-svc does not answer: the counts are 0 until it does.",
    )
    async def stats_available(self, info: GatewayInfo) -> bool:
        if not tracking.ever_launched(self.status.value):
            return True  # a draft's figures are known: none
        return await _stats_document_of(info, self) is not None

    @classmethod
    def from_wire(cls, doc: dict[str, Any]) -> "Campaign":
        return cls(
            id=strawberry.ID(doc["id"]),
            name=doc["name"],
            description=doc.get("description"),
            status=CampaignStatus(doc["status"]),
            targeting=Targeting.from_wire(doc["targeting"]),
            channels=[Channel(channel) for channel in doc.get("channels", [])],
            message_templates=[
                MessageTemplate.from_wire(t) for t in doc.get("messageTemplates", [])
            ],
            variants=[
                Variant(name=v["name"], weight=v.get("weight", 1)) for v in doc.get("variants", [])
            ],
            holdout_percent=doc.get("holdoutPercent", 0.0),
            schedule=Schedule.from_wire(doc["schedule"]),
            incentive=Incentive.from_wire(doc.get("incentive")),
            refresh_daily=bool(doc.get("refreshDaily", False)),
            saved_audience_id=doc.get("savedAudienceId"),
            default_language=doc.get("defaultLanguage", "en"),
            run_number=doc.get("runNumber", 1),
            created_by=doc.get("createdBy"),
            created_at=to_datetime(doc.get("createdAt")),
            updated_at=to_datetime(doc.get("updatedAt")),
            launched_at=to_datetime(doc.get("launchedAt")),
            completed_at=to_datetime(doc.get("completedAt")),
        )


@strawberry.type(
    name="CampaignStats",
    description="A campaign's figures; ROI = (revenue from rebooked - cost) / cost.",
)
class CampaignStats(CampaignFigures):
    """tracking-svc's figures and the campaign they are of: the one type that names both a
    campaign and its stats lives with the campaign, so tracking's types need no campaign."""

    @strawberry.field
    async def campaign(self, info: GatewayInfo) -> Campaign | None:
        loader = info.context.loaders.campaign_document_by_id
        document = await answer_of(loader.load(str(self.campaign_id)))
        return Campaign.from_wire(document) if document else None


CampaignStatsResult = Annotated[
    CampaignStats | NotFound | NotAvailableResult, strawberry.union("CampaignStatsResult")
]


async def stats_result(pending: Awaitable[CampaignStats]) -> CampaignStats | NotAvailableResult:
    """Stats, or NotAvailable while tracking-svc cannot be reached; other errors stay errors."""
    return await result_of(pending, _as_is, expected=(NotAvailable,))  # type: ignore[return-value]


def _as_is(stats: CampaignStats) -> CampaignStats:
    return stats


async def _figures(info: GatewayInfo, campaign: Campaign) -> CampaignStats:
    """The campaign's stats, from one batched call per page for the launched ones only."""
    campaign_id = str(campaign.id)
    if not tracking.ever_launched(campaign.status.value):
        return CampaignStats.from_wire(tracking.no_activity(campaign_id))
    loader = info.context.loaders.stats_document_by_campaign_id
    return CampaignStats.from_wire(await loader.load(campaign_id))


async def _stats_document_of(info: GatewayInfo, campaign: Campaign) -> JSONDocument | None:
    """A launched campaign's stats as tracking-svc answered them; None while it does not."""
    try:
        return await info.context.loaders.stats_document_by_campaign_id.load(str(campaign.id))
    except (NotAvailable, ServiceFailed):
        return None


async def _figure(info: GatewayInfo, campaign: Campaign, name: str) -> int:
    """One of the campaign's counters; 0 for a draft, and while tracking-svc does not answer."""
    if not tracking.ever_launched(campaign.status.value):
        return 0
    document = await _stats_document_of(info, campaign)
    return int((document or {}).get(name) or 0)


@strawberry.type
class CampaignEdge:
    cursor: str | None = strawberry.field(
        description="Pass as `after` to continue after this campaign."
    )
    node: Campaign


@strawberry.type
class CampaignConnection:
    edges: list[CampaignEdge]
    page_info: PageInfo
    total_count: int

    @classmethod
    def from_wire(cls, page: dict[str, Any]) -> "CampaignConnection":
        items = page.get("items", [])
        edges = [
            CampaignEdge(cursor=cursor, node=Campaign.from_wire(item))
            for item, cursor in zip(items, edge_cursors(page), strict=True)
        ]
        return cls(
            edges=edges,
            page_info=PageInfo.from_wire(page.get("pageInfo") or {}),
            total_count=page.get("totalCount", len(items)),
        )


@strawberry.type
class DeletedCampaign:
    id: strawberry.ID

    @classmethod
    def from_wire(cls, doc: dict[str, Any]) -> "DeletedCampaign":
        return cls(id=strawberry.ID(doc["id"]))


@strawberry.type
class SmsSize:
    encoding: str = strawberry.field(description="GSM-7 or UCS-2")
    characters: int
    segments: int

    @classmethod
    def from_wire(cls, doc: dict[str, Any]) -> "SmsSize":
        return cls(encoding=doc["encoding"], characters=doc["characters"], segments=doc["segments"])


@strawberry.type
class PreviewMessage:
    channel: Channel
    sequence: int
    variant: str
    language: str = strawberry.field(
        description="The language of the step's template shown: the previewed one where the "
        "step has a template in it, else the campaign's default"
    )
    subject: str | None
    body: str
    html: str | None = strawberry.field(
        description="The email's HTML part as sent (escaped text, our links clickable); null "
        "for an SMS or a letter"
    )
    sms: SmsSize | None


@strawberry.type
class CampaignPreview:
    campaign_id: strawberry.ID
    language: str = strawberry.field(
        description="The language previewed: the one asked for, else the patient's, else the "
        "campaign's default; the opt-out texts are worded in it where we speak it"
    )
    messages: list[PreviewMessage]

    @classmethod
    def from_wire(cls, doc: dict[str, Any]) -> "CampaignPreview":
        messages = [
            PreviewMessage(
                channel=Channel(m["channel"]),
                sequence=m["sequence"],
                variant=m.get("variant", "A"),
                language=m.get("language", "en"),
                subject=m.get("subject"),
                body=m["body"],
                html=m.get("html"),
                sms=SmsSize.from_wire(m["sms"]) if m.get("sms") else None,
            )
            for m in doc.get("messages", [])
        ]
        return cls(
            campaign_id=strawberry.ID(doc["campaignId"]),
            language=doc.get("language", "en"),
            messages=messages,
        )
