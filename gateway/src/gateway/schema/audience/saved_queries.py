"""Saved audiences: the clinic's list, or one."""

import strawberry

from gateway.operations import saved_audiences
from gateway.operations.errors import NotFound
from gateway.schema.audience.saved import SavedAudience
from gateway.schema.errors import answer_of, result_of
from gateway.schema.info import GatewayInfo
from gateway.schema.permissions import VIEW


@strawberry.type
class SavedAudienceQueries:
    @strawberry.field(permission_classes=VIEW, description="Your clinic's saved audiences.")
    async def saved_audiences(self, info: GatewayInfo) -> list[SavedAudience] | None:
        found = await answer_of(saved_audiences.list_saved_audiences(info.context.caller()))
        return [SavedAudience.from_wire(doc) for doc in found]

    @strawberry.field(permission_classes=VIEW, description="Null when not in your clinic.")
    async def saved_audience(self, info: GatewayInfo, id: strawberry.ID) -> SavedAudience | None:
        found = await result_of(
            saved_audiences.get_saved_audience(info.context.caller(), str(id)),
            SavedAudience.from_wire,
            expected=(NotFound,),
        )
        return found if isinstance(found, SavedAudience) else None
