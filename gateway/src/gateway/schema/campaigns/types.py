"""A campaign as GraphQL shows it, built from campaign-svc's camelCase JSON.

(Over 300 lines: `Campaign` and `CampaignStats` name each other, a campaign's stats and the
stats' campaign, so both live here with the connection and the preview they answer.)
"""

from collections.abc import Awaitable
from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry import auto
from strawberry.scalars import JSON

from gateway.operations import tracking
from gateway.operations.errors import NotAvailable, ServiceFailed
from gateway.operations.service_calls import JSONDocument
from gateway.schema.audience.recall import RecallTargeting
from gateway.schema.campaigns.languages import TemplateTranslation
from gateway.schema.enums import Channel
from gateway.schema.errors import NotAvailable as NotAvailableResult
from gateway.schema.errors import NotFound, answer_of, result_of
from gateway.schema.info import GatewayInfo
from gateway.schema.pagination import PageInfo, edge_cursors
from gateway.schema.permissions import VIEW
from gateway.schema.resource_types import output_type
from gateway.schema.tracking.types import ExcludedCount
from reengage_common import events
from reengage_common.resources import campaigns, stats


@output_type(events.Targeting)
class Targeting:
    inactive_days: auto
    treatment_stages: auto
    include_no_shows: auto
    include_dropouts: auto
    exclude_recent_contact: auto
    exclude_contact_days: auto
    recall: RecallTargeting | None


@output_type(events.MessageTemplate)
class MessageTemplate:
    channel: auto
    subject: auto
    body: auto
    sequence: auto
    delay_days: auto
    variant: auto
    translations: list[TemplateTranslation] = strawberry.field(
        description="The step in other languages; a patient whose language has none gets "
        "subject and body, in the campaign's defaultLanguage."
    )


@output_type(
    events.ChannelFallback,
    description="Where a step goes when its channel fails: a failed or bounced `channel` "
    "message goes once more by `to`, with this template; rules of one channel are tried in "
    "their order (the first channel the patient consents to and has a contact for).",
)
class ChannelFallback:
    channel: auto
    to: auto
    subject: auto
    body: auto


@output_type(events.Variant)
class Variant:
    name: auto
    weight: auto


@output_type(events.Schedule)
class Schedule:
    # strawberry maps no pydantic AwareDatetime: the times are named here.
    start_date: datetime | None = strawberry.field(
        description="Null in a draft that starts when launched; the launch fills it in."
    )
    end_date: datetime | None
    send_times: auto
    timezone: auto


@output_type(events.Incentive)
class Incentive:
    has_incentive: auto
    incentive_details: auto
    incentive_code: auto
    incentive_cost_cents: auto


@output_type(campaigns.Campaign)
class Campaign:
    id: strawberry.ID
    name: auto
    description: auto
    status: auto
    targeting: auto
    channels: auto
    message_templates: auto
    variants: auto
    holdout_percent: auto
    schedule: auto
    incentive: auto
    refresh_daily: auto
    saved_audience_id: strawberry.ID | None = strawberry.field(
        description="The saved audience the targeting comes from, if any."
    )
    default_language: str = strawberry.field(
        description="The language of each step's own template (messageLanguages)."
    )
    channel_fallback: list[ChannelFallback] = strawberry.field(
        description="Channel fallback rules; empty: off (a bounce ends the patient's sequence)."
    )
    group_households: auto = strawberry.field(
        description="One message per household (patients sharing a step's contact); false: "
        "one per patient."
    )
    run_number: auto
    created_by: auto
    # Nullable in GraphQL since its first schema; campaign-svc always sends them.
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


def campaign_from_wire(doc: JSONDocument) -> Campaign:
    """campaign-svc's camelCase JSON, read by the resource it was written with."""
    return Campaign.from_pydantic(campaigns.Campaign.model_validate(doc))


def targeting_from_wire(doc: JSONDocument) -> Targeting:
    return Targeting.from_pydantic(events.Targeting.model_validate(doc))


def _excluded(root: "CampaignStats") -> list[ExcludedCount]:
    return [ExcludedCount(reason=reason, count=n) for reason, n in root.excluded_by_reason.items()]


def _response_winner(root: "CampaignStats") -> str | None:
    return root.winner.responded


def _rebook_winner(root: "CampaignStats") -> str | None:
    return root.winner.rebooked


@output_type(
    stats.CampaignStats,
    description="A campaign's figures; ROI = (revenue from rebooked - cost) / cost.",
)
class CampaignStats:
    """tracking-svc's figures and the campaign they are of: the one type that names both a
    campaign and its stats lives with the campaign, so tracking's types need no campaign."""

    campaign_id: strawberry.ID
    targeted: auto
    held_out: auto
    recipients: auto
    contacted: auto
    sent: auto
    delivered: auto
    failed: auto
    skipped: auto
    responded: auto
    interested: auto
    not_interested: auto
    clicked: auto
    replied: auto
    rebooked: auto
    unsubscribed: auto
    bounced: auto
    fallbacks: auto
    fallbacks_sent: auto
    message_cost_cents: auto
    incentives_redeemed: auto
    incentive_cost_cents: auto
    revenue_cents: auto
    cost_cents: auto
    roi: auto
    rates: auto
    # GraphQL lists the exclusions and names each metric's winner: resolvers over the figures.
    excluded: list[ExcludedCount] = strawberry.field(resolver=_excluded)
    by_variant: auto
    by_channel: auto
    by_step: auto
    ab_tests: auto
    response_winner: str | None = strawberry.field(resolver=_response_winner)
    rebook_winner: str | None = strawberry.field(resolver=_rebook_winner)
    lift: auto
    status_counts: JSON = strawberry.field(description="Recipients (holdout excluded) by status")
    excluded_by_reason: strawberry.Private[dict[str, int]]
    winner: strawberry.Private[stats.Winners]

    @strawberry.field
    async def campaign(self, info: GatewayInfo) -> Campaign | None:
        loader = info.context.loaders.campaign_document_by_id
        document = await answer_of(loader.load(str(self.campaign_id)))
        return campaign_from_wire(document) if document else None


def stats_from_wire(doc: JSONDocument) -> CampaignStats:
    """tracking-svc's camelCase JSON, read by the stats resource."""
    figures = stats.CampaignStats.model_validate(doc)
    return CampaignStats.from_pydantic(figures, extra={"excluded_by_reason": figures.excluded})


CampaignStatsResult = Annotated[
    CampaignStats | NotFound | NotAvailableResult, strawberry.union("CampaignStatsResult")
]


async def stats_result(pending: Awaitable[CampaignStats]) -> CampaignStats | NotAvailableResult:
    """Stats, or NotAvailable while tracking-svc cannot be reached; other errors stay errors."""
    return await result_of(pending, _as_is, expected=(NotAvailable,))  # type: ignore[return-value]


def _as_is(figures: CampaignStats) -> CampaignStats:
    return figures


async def _figures(info: GatewayInfo, campaign: Campaign) -> CampaignStats:
    """The campaign's stats, from one batched call per page for the launched ones only."""
    campaign_id = str(campaign.id)
    if not tracking.ever_launched(campaign.status.value):
        return stats_from_wire(tracking.no_activity(campaign_id))
    loader = info.context.loaders.stats_document_by_campaign_id
    return stats_from_wire(await loader.load(campaign_id))


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
            CampaignEdge(cursor=cursor, node=campaign_from_wire(item))
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
