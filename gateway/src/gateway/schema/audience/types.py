"""An audience estimate as GraphQL shows it, built from audience-svc's JSON."""

from typing import Annotated, Any

import strawberry

from gateway.schema.audience.recall import RecallBuckets
from gateway.schema.enums import Channel
from gateway.schema.errors import NotAvailable, ValidationError


@strawberry.type
class ChannelReach:
    channel: Channel
    patients: int


@strawberry.type(description="Messages the first step would send on one channel.")
class ChannelMessages:
    channel: Channel
    messages: int


@strawberry.type(description="Patients left out for one reason (each counted once, first reason).")
class Exclusion:
    reason: str
    patients: int


@strawberry.type(description="Targeted patients whose record lacks a merge field.")
class MissingField:
    field: str = strawberry.field(description="A patient merge field, e.g. patient.lastVisitDate.")
    count: int


@strawberry.type(description="How many patients a targeting reaches now, in total and by channel.")
class AudienceEstimate:
    total: int = strawberry.field(description="Patients selected (targeted and held out).")
    by_channel: list[ChannelReach] = strawberry.field(
        description="Selected patients by the channel of their first step."
    )
    reach: list[ChannelReach] = strawberry.field(
        default_factory=list,
        description="Selected patients each of the channels asked for can reach (contact and "
        "consent), whatever channel their first step uses.",
    )
    targeted: int | None = None
    held_out: int | None = None
    patients: int | None = strawberry.field(
        default=None, description="The clinic's known patients: total plus every exclusion."
    )
    excluded: list[Exclusion] = strawberry.field(default_factory=list)
    missing_fields: list[MissingField] = strawberry.field(
        default_factory=list,
        description="For each patient field of mergeFields: targeted patients lacking it.",
    )
    recall: RecallBuckets | None = strawberry.field(
        default=None, description="Selected patients by how overdue their recall is."
    )
    messages: int | None = strawberry.field(
        default=None,
        description="Messages the first step would send: one per targeted patient, except "
        "that patients sharing its contact get one together (unless groupHouseholds is false). "
        "Counted by audienceEstimate; null on a saved audience's estimate.",
    )
    messages_by_channel: list[ChannelMessages] = strawberry.field(
        default_factory=list, description="The messages by the channel of the first step."
    )

    @classmethod
    def from_wire(cls, doc: dict[str, Any]) -> "AudienceEstimate":
        by_channel = doc.get("byChannel") or {}
        return cls(
            total=int(doc["total"]),
            by_channel=[
                ChannelReach(channel=Channel(name), patients=int(count))
                for name, count in by_channel.items()
            ],
            reach=[
                ChannelReach(channel=Channel(name), patients=int(count))
                for name, count in (doc.get("reach") or {}).items()
            ],
            targeted=doc.get("targeted"),
            held_out=doc.get("heldOut"),
            patients=doc.get("patients"),
            excluded=[
                Exclusion(reason=reason, patients=int(count))
                for reason, count in (doc.get("excluded") or {}).items()
            ],
            missing_fields=[
                MissingField(field=str(item["field"]), count=int(item["count"]))
                for item in doc.get("missingFields") or []
            ],
            recall=RecallBuckets.from_wire(doc.get("recall")),
            messages=doc.get("messages"),
            messages_by_channel=[
                ChannelMessages(channel=Channel(name), messages=int(count))
                for name, count in (doc.get("messagesByChannel") or {}).items()
            ],
        )


AudienceEstimateResult = Annotated[
    AudienceEstimate | ValidationError | NotAvailable, strawberry.union("AudienceEstimateResult")
]
