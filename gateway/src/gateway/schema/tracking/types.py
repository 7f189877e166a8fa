"""Stats and recipients as GraphQL shows them, built from tracking-svc's JSON."""

from datetime import datetime
from typing import Annotated, Any, Self

import strawberry
from pydantic.alias_generators import to_snake
from strawberry.scalars import JSON

from gateway.operations.errors import NotAvailable as Unavailable
from gateway.operations.errors import OperationError
from gateway.operations.tracking import STAT_COUNTS
from gateway.schema.enums import Channel
from gateway.schema.errors import NotAvailable, NotFound, graphql_error
from gateway.schema.info import GatewayInfo
from gateway.schema.pagination import PageInfo, edge_cursors
from gateway.schema.wire import to_datetime


@strawberry.type(description="Rates of a group of recipients; null where nothing was counted.")
class Rates:
    delivery: float | None
    response: float | None
    interest: float | None
    click: float | None
    rebook: float | None
    unsubscribe: float | None
    bounce: float | None
    failure: float | None

    @classmethod
    def from_wire(cls, doc: dict[str, Any] | None) -> "Rates":
        doc = doc or {}
        return cls(**{name: doc.get(name) for name in cls.__annotations__})


def _counts(doc: dict[str, Any]) -> dict[str, int]:
    return {to_snake(name): int(doc.get(name) or 0) for name in STAT_COUNTS}


@strawberry.type(description="One variant's figures (holdout excluded).")
class VariantStats:
    variant: str
    recipients: int
    contacted: int
    sent: int
    responded: int
    interested: int
    clicked: int
    rebooked: int
    unsubscribed: int
    bounced: int
    cost_cents: int
    revenue_cents: int
    roi: float | None
    rates: Rates

    @classmethod
    def from_wire(cls, doc: dict[str, Any]) -> "VariantStats":
        counts = _counts(doc)
        return cls(
            variant=doc["variant"],
            roi=doc.get("roi"),
            rates=Rates.from_wire(doc.get("rates")),
            **{name: counts[name] for name in cls.__annotations__ if name in counts},
        )


@strawberry.type(description="Messages of one channel or step.")
class MessageStats:
    channel: Channel | None
    sequence: int | None
    due: int
    sent: int
    delivered: int
    failed: int
    skipped: int
    cost_cents: int
    responses: JSON | None = strawberry.field(description="Response kind -> recipients")

    @classmethod
    def from_wire(cls, doc: dict[str, Any]) -> "MessageStats":
        return cls(
            channel=Channel(doc["channel"]) if doc.get("channel") else None,
            sequence=doc.get("sequence"),
            responses=doc.get("responses"),
            **{
                k: int(doc.get(to_camel_name(k)) or 0)
                for k in ("due", "sent", "delivered", "failed", "skipped", "cost_cents")
            },
        )


def to_camel_name(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)


@strawberry.type(
    description="A two-proportion z-test between two variants; a winner only when p < 0.05."
)
class VariantComparison:
    metric: str = strawberry.field(description="responded or rebooked")
    variant_a: str
    variant_b: str
    rate_a: float | None
    rate_b: float | None
    z: float | None
    p_value: float | None
    significant: bool
    winner: str | None

    @classmethod
    def from_wire(cls, doc: dict[str, Any]) -> "VariantComparison":
        return cls(**{name: doc.get(to_camel_name(name)) for name in cls.__annotations__})


@strawberry.type(description="Contacted recipients against the holdout that got nothing.")
class Lift:
    held_out: int
    holdout_rebooked: int
    holdout_rebook_rate: float | None
    treated_rebook_rate: float | None
    absolute_lift: float | None
    relative_lift: float | None
    incremental_rebookings: float | None
    p_value: float | None
    significant: bool

    @classmethod
    def from_wire(cls, doc: dict[str, Any] | None) -> "Lift":
        doc = doc or {}
        values = {name: doc.get(to_camel_name(name)) for name in cls.__annotations__}
        values["held_out"] = int(values["held_out"] or 0)
        values["holdout_rebooked"] = int(values["holdout_rebooked"] or 0)
        values["significant"] = bool(values["significant"])
        return cls(**values)


@strawberry.type(description="An audience exclusion reason and how many patients it excluded.")
class ExcludedCount:
    reason: str
    count: int


@strawberry.type(name="CampaignFigures")
class CampaignFigures:
    """A campaign's figures as tracking-svc counts them. GraphQL shows them as `CampaignStats`
    (gateway.schema.campaigns.types), which adds the campaign they are of."""

    campaign_id: strawberry.ID
    targeted: int
    held_out: int
    recipients: int
    contacted: int
    sent: int
    delivered: int
    failed: int
    skipped: int
    responded: int
    interested: int
    not_interested: int
    clicked: int
    replied: int
    rebooked: int
    unsubscribed: int
    bounced: int
    message_cost_cents: int
    incentives_redeemed: int
    incentive_cost_cents: int
    revenue_cents: int
    cost_cents: int
    roi: float | None
    rates: Rates
    excluded: list[ExcludedCount]
    by_variant: list[VariantStats]
    by_channel: list[MessageStats]
    by_step: list[MessageStats]
    ab_tests: list[VariantComparison]
    response_winner: str | None
    rebook_winner: str | None
    lift: Lift
    status_counts: JSON = strawberry.field(description="Recipients (holdout excluded) by status")

    @classmethod
    def from_wire(cls, doc: dict[str, Any]) -> Self:
        roi = doc.get("roi")
        winner = doc.get("winner") or {}
        return cls(
            campaign_id=strawberry.ID(doc["campaignId"]),
            roi=float(roi) if roi is not None else None,
            rates=Rates.from_wire(doc.get("rates")),
            excluded=[
                ExcludedCount(reason=k, count=v) for k, v in (doc.get("excluded") or {}).items()
            ],
            by_variant=[VariantStats.from_wire(d) for d in doc.get("byVariant") or []],
            by_channel=[MessageStats.from_wire(d) for d in doc.get("byChannel") or []],
            by_step=[MessageStats.from_wire(d) for d in doc.get("byStep") or []],
            ab_tests=[VariantComparison.from_wire(d) for d in doc.get("abTests") or []],
            response_winner=winner.get("responded"),
            rebook_winner=winner.get("rebooked"),
            lift=Lift.from_wire(doc.get("lift")),
            status_counts=doc.get("statusCounts") or {},
            **_counts(doc),
        )


@strawberry.type(description="One message step sent (or due) to a recipient.")
class RecipientStep:
    sequence: int
    channel: Channel | None
    outcome: str = strawberry.field(description="DUE, SENT, FAILED or SKIPPED")
    reason: str | None
    cost_cents: int
    delivered: bool
    at: datetime | None


@strawberry.type
class Reply:
    text: str
    at: datetime | None


@strawberry.type
class Recipient:
    patient_id: strawberry.ID
    first_name: str | None
    last_name: str | None
    name: str | None
    status: str = strawberry.field(
        description="PENDING, CONTACTED, RESPONDED, REBOOKED, UNSUBSCRIBED or BOUNCED"
    )
    response: str | None = strawberry.field(
        description="INTERESTED, NOT_INTERESTED, REBOOKED or NO_RESPONSE"
    )
    variant: str | None
    holdout: bool
    channel: Channel | None
    channels: list[Channel]
    last_contacted_at: datetime | None
    contact_attempts: int
    responded_at: datetime | None
    rebooked_appointment_id: str | None
    last_event_at: datetime | None
    history: list[RecipientStep]
    replies: list[Reply]

    @classmethod
    def from_wire(cls, doc: dict[str, Any]) -> "Recipient":
        return cls(
            patient_id=strawberry.ID(doc["patientId"]),
            first_name=doc.get("firstName"),
            last_name=doc.get("lastName"),
            name=doc.get("name"),
            status=doc["status"],
            response=doc.get("response"),
            variant=doc.get("variant"),
            holdout=bool(doc.get("holdout")),
            channel=Channel(doc["channel"]) if doc.get("channel") else None,
            channels=[Channel(c) for c in doc.get("channels") or []],
            last_contacted_at=to_datetime(doc.get("lastContactedAt")),
            contact_attempts=int(doc.get("contactAttempts") or 0),
            responded_at=to_datetime(doc.get("respondedAt")),
            rebooked_appointment_id=doc.get("rebookedAppointmentId"),
            last_event_at=to_datetime(doc.get("lastEventAt")),
            history=[
                RecipientStep(
                    sequence=int(s.get("sequence") or 0),
                    channel=Channel(s["channel"]) if s.get("channel") else None,
                    outcome=s.get("outcome") or "DUE",
                    reason=s.get("reason"),
                    cost_cents=int(s.get("costCents") or 0),
                    delivered=bool(s.get("delivered")),
                    at=to_datetime(s.get("at")),
                )
                for s in doc.get("history") or []
            ],
            replies=[
                Reply(text=r.get("text", ""), at=to_datetime(r.get("at")))
                for r in doc.get("replies") or []
            ],
        )


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
            RecipientEdge(cursor=cursor, node=Recipient.from_wire(item))
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
