"""Stats and recipients as GraphQL shows them, from tracking-svc's JSON. The figures' types come
from the stats resource (`reengage_common.resources.stats`); the campaign's own `CampaignStats`,
which also names its campaign, lives with the campaign (gateway.schema.campaigns.types)."""

from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry import auto
from strawberry.scalars import JSON

from gateway.operations.errors import NotAvailable as Unavailable
from gateway.operations.errors import OperationError
from gateway.operations.service_calls import JSONDocument
from gateway.schema.errors import NotAvailable, NotFound, graphql_error
from gateway.schema.info import GatewayInfo
from gateway.schema.pagination import PageInfo, edge_cursors
from gateway.schema.resource_types import output_type
from reengage_common.resources import recipients, stats


@output_type(
    stats.Rates, description="Rates of a group of recipients; null where nothing was counted."
)
class Rates:
    delivery: auto
    response: auto
    interest: auto
    click: auto
    rebook: auto
    unsubscribe: auto
    bounce: auto
    failure: auto


@output_type(stats.VariantStats, description="One variant's figures (holdout excluded).")
class VariantStats:
    variant: auto
    recipients: auto
    contacted: auto
    sent: auto
    responded: auto
    interested: auto
    clicked: auto
    rebooked: auto
    unsubscribed: auto
    bounced: auto
    cost_cents: auto
    revenue_cents: auto
    roi: auto
    rates: auto


@output_type(stats.MessageStats, description="Messages of one channel or step.")
class MessageStats:
    channel: auto
    sequence: auto
    due: auto
    sent: auto
    delivered: auto
    failed: auto
    skipped: auto
    cost_cents: auto
    fallbacks: auto = strawberry.field(
        description="Channel fallbacks among these messages (by channel: the ones it carried)"
    )
    responses: JSON | None = strawberry.field(description="Response kind -> recipients")


@output_type(
    stats.VariantComparison,
    description="A two-proportion z-test between two variants; a winner only when p < 0.05.",
)
class VariantComparison:
    metric: auto = strawberry.field(description="responded or rebooked")
    variant_a: auto
    variant_b: auto
    rate_a: auto
    rate_b: auto
    z: auto
    p_value: auto
    significant: auto
    winner: auto


@output_type(stats.Lift, description="Contacted recipients against the holdout that got nothing.")
class Lift:
    held_out: auto
    holdout_rebooked: auto
    holdout_rebook_rate: auto
    treated_rebook_rate: auto
    absolute_lift: auto
    relative_lift: auto
    incremental_rebookings: auto
    p_value: auto
    significant: auto


@strawberry.type(description="An audience exclusion reason and how many patients it excluded.")
class ExcludedCount:
    reason: str
    count: int


@output_type(recipients.RecipientStep, description="One message step sent (or due) to a recipient.")
class RecipientStep:
    sequence: auto
    channel: auto
    outcome: auto = strawberry.field(description="DUE, SENT, FAILED or SKIPPED")
    reason: auto
    cost_cents: auto
    delivered: auto
    # strawberry maps no pydantic AwareDatetime: the times are named here.
    at: datetime | None
    message_id: strawberry.ID | None = strawberry.field(description="The step's message")
    fallback_for: strawberry.ID | None = strawberry.field(
        description="A channel fallback's: the message it replaced (that one failed or bounced)"
    )


@output_type(recipients.Reply)
class Reply:
    text: auto
    at: datetime | None


@output_type(recipients.Recipient)
class Recipient:
    patient_id: strawberry.ID
    first_name: auto
    last_name: auto
    name: auto
    status: auto = strawberry.field(
        description="PENDING, CONTACTED, RESPONDED, REBOOKED, UNSUBSCRIBED or BOUNCED"
    )
    response: auto = strawberry.field(
        description="INTERESTED, NOT_INTERESTED, REBOOKED or NO_RESPONSE"
    )
    variant: auto
    holdout: auto
    channel: auto
    channels: auto
    last_contacted_at: datetime | None
    contact_attempts: auto
    responded_at: datetime | None
    rebooked_appointment_id: auto
    last_event_at: datetime | None
    history: auto
    replies: auto


def recipient_from_wire(doc: JSONDocument) -> Recipient:
    """tracking-svc's camelCase JSON, read by the recipient resource."""
    return Recipient.from_pydantic(recipients.Recipient.model_validate(doc))


@strawberry.type
class RecipientEdge:
    cursor: str | None
    node: Recipient


@strawberry.type
class RecipientConnection:
    edges: list[RecipientEdge]
    page_info: PageInfo
    page_total: strawberry.Private[int | None]
    campaign_id: strawberry.Private[str]
    status: strawberry.Private[str | None]

    @strawberry.field(description="Recipients with the status asked for (from the stats).")
    async def total_count(self, info: GatewayInfo) -> int | None:
        if self.page_total is not None:
            return self.page_total
        try:
            stats = await info.context.loaders.stats_document_by_campaign_id.load(self.campaign_id)
        except Unavailable:
            return None
        except OperationError as error:
            raise graphql_error(error) from error
        counts = stats.get("statusCounts") or {}
        return int(counts.get(self.status, 0)) if self.status else sum(counts.values())

    @classmethod
    def from_wire(
        cls, page: dict[str, Any], campaign_id: str = "", status: str | None = None
    ) -> "RecipientConnection":
        items = page.get("items", [])
        edges = [
            RecipientEdge(cursor=cursor, node=recipient_from_wire(item))
            for item, cursor in zip(items, edge_cursors(page), strict=True)
        ]
        return cls(
            edges=edges,
            page_info=PageInfo.from_wire(page.get("pageInfo") or {}),
            page_total=page.get("totalCount"),
            campaign_id=campaign_id,
            status=status,
        )


RecipientsResult = Annotated[
    RecipientConnection | NotFound | NotAvailable, strawberry.union("RecipientsResult")
]
