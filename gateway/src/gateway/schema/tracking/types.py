"""Stats and recipients as GraphQL shows them, built from tracking-svc's JSON."""

from collections.abc import Awaitable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from pydantic.alias_generators import to_snake
from strawberry.types import Info

from gateway.context import GatewayContext
from gateway.operations.errors import NotAvailable as Unavailable
from gateway.operations.tracking import STAT_COUNTS
from gateway.schema.enums import Channel
from gateway.schema.errors import NotAvailable, NotFound, answer_of, result_of
from gateway.schema.pagination import PageInfo, edge_cursors
from gateway.schema.wire import to_datetime

if TYPE_CHECKING:
    from gateway.schema.campaigns.types import Campaign


@strawberry.type(description="A campaign's figures; ROI = (revenue from rebooked - cost) / cost.")
class CampaignStats:
    campaign_id: strawberry.ID
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
    roi: float | None

    @strawberry.field
    async def campaign(
        self, info: Info[GatewayContext, None]
    ) -> Annotated["Campaign", strawberry.lazy("gateway.schema.campaigns.types")] | None:
        return await answer_of(info.context.loaders.campaign_by_id.load(str(self.campaign_id)))

    @classmethod
    def from_wire(cls, doc: dict[str, Any]) -> "CampaignStats":
        roi = doc.get("roi")
        return cls(
            campaign_id=strawberry.ID(doc["campaignId"]),
            roi=float(roi) if roi is not None else None,
            **{to_snake(name): int(doc.get(name) or 0) for name in STAT_COUNTS},
        )


CampaignStatsResult = Annotated[
    CampaignStats | NotFound | NotAvailable, strawberry.union("CampaignStatsResult")
]


async def stats_result(pending: Awaitable[CampaignStats]) -> CampaignStats | NotAvailable:
    """Stats, or NotAvailable while tracking-svc does not exist; other errors stay errors."""
    return await result_of(pending, _as_is, expected=(Unavailable,))  # type: ignore[return-value]


def _as_is(stats: CampaignStats) -> CampaignStats:
    return stats


@strawberry.type
class Recipient:
    patient_id: strawberry.ID
    status: str
    variant: str | None
    channel: Channel | None
    last_event_at: datetime | None

    @classmethod
    def from_wire(cls, doc: dict[str, Any]) -> "Recipient":
        return cls(
            patient_id=strawberry.ID(doc["patientId"]),
            status=doc["status"],
            variant=doc.get("variant"),
            channel=Channel(doc["channel"]) if doc.get("channel") else None,
            last_event_at=to_datetime(doc.get("lastEventAt")),
        )


@strawberry.type
class RecipientEdge:
    cursor: str | None
    node: Recipient


@strawberry.type
class RecipientConnection:
    edges: list[RecipientEdge]
    page_info: PageInfo
    total_count: int

    @classmethod
    def from_wire(cls, page: dict[str, Any]) -> "RecipientConnection":
        items = page.get("items", [])
        edges = [
            RecipientEdge(cursor=cursor, node=Recipient.from_wire(item))
            for item, cursor in zip(items, edge_cursors(page), strict=True)
        ]
        return cls(
            edges=edges,
            page_info=PageInfo.from_wire(page.get("pageInfo") or {}),
            total_count=page.get("totalCount", len(items)),
        )


RecipientsResult = Annotated[
    RecipientConnection | NotFound | NotAvailable, strawberry.union("RecipientsResult")
]
