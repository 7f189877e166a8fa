"""An audience estimate as GraphQL shows it, built from audience-svc's JSON."""

from typing import Annotated, Any

import strawberry

from gateway.schema.enums import Channel
from gateway.schema.errors import NotAvailable, ValidationError


@strawberry.type
class ChannelReach:
    channel: Channel
    patients: int


@strawberry.type(description="How many patients a targeting reaches now, in total and by channel.")
class AudienceEstimate:
    total: int
    by_channel: list[ChannelReach]

    @classmethod
    def from_wire(cls, doc: dict[str, Any]) -> "AudienceEstimate":
        by_channel = doc.get("byChannel") or {}
        return cls(
            total=int(doc["total"]),
            by_channel=[
                ChannelReach(channel=Channel(name), patients=int(count))
                for name, count in by_channel.items()
            ],
        )


AudienceEstimateResult = Annotated[
    AudienceEstimate | ValidationError | NotAvailable, strawberry.union("AudienceEstimateResult")
]
