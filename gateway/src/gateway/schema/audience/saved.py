"""A saved audience as GraphQL shows it, with its live count (an audience estimate)."""

from datetime import datetime
from typing import Annotated, Any

import strawberry

from gateway.operations import errors, saved_audiences
from gateway.schema.audience.types import AudienceEstimate, AudienceEstimateResult
from gateway.schema.campaigns.inputs import TargetingInput
from gateway.schema.campaigns.types import Targeting, targeting_from_wire
from gateway.schema.enums import Channel
from gateway.schema.errors import NotFound, ValidationError, result_of
from gateway.schema.info import GatewayInfo
from gateway.schema.permissions import VIEW
from gateway.schema.wire import to_datetime, to_wire


@strawberry.input(description="A targeting kept under a name; saving replaces all of it.")
class SavedAudienceInput:
    name: str
    targeting: TargetingInput
    description: str | None = strawberry.UNSET


@strawberry.type(description="A targeting saved by name; campaigns reuse it (savedAudienceId).")
class SavedAudience:
    id: strawberry.ID
    name: str
    description: str | None
    targeting: Targeting
    created_by: str | None
    created_at: datetime | None
    updated_at: datetime | None
    wire: strawberry.Private[dict[str, Any]]

    @strawberry.field(
        permission_classes=VIEW,
        description="Patients it reaches now (the audience estimate of its targeting), on the "
        "given channels (default: all).",
    )
    async def estimate(
        self, info: GatewayInfo, channels: list[Channel] | None = None
    ) -> AudienceEstimateResult | None:
        return await result_of(
            saved_audiences.saved_audience_estimate(
                info.context.caller(), self.wire, to_wire(channels) if channels else None
            ),
            AudienceEstimate.from_wire,
            expected=(errors.Invalid, errors.NotAvailable),
        )

    @classmethod
    def from_wire(cls, doc: dict[str, Any]) -> "SavedAudience":
        return cls(
            id=strawberry.ID(doc["id"]),
            name=doc["name"],
            description=doc.get("description"),
            targeting=targeting_from_wire(doc["targeting"]),
            created_by=doc.get("createdBy"),
            created_at=to_datetime(doc.get("createdAt")),
            updated_at=to_datetime(doc.get("updatedAt")),
            wire=doc,
        )


@strawberry.type
class DeletedSavedAudience:
    id: strawberry.ID
    deleted: bool

    @classmethod
    def from_wire(cls, doc: dict[str, Any]) -> "DeletedSavedAudience":
        return cls(id=strawberry.ID(doc["id"]), deleted=bool(doc.get("deleted", True)))


SaveAudienceResult = Annotated[
    SavedAudience | ValidationError | NotFound, strawberry.union("SaveAudienceResult")
]
DeleteSavedAudienceResult = Annotated[
    DeletedSavedAudience | NotFound, strawberry.union("DeleteSavedAudienceResult")
]
