"""Saved audience mutations: create, update (replace) and delete."""

import strawberry

from gateway.operations import errors, saved_audiences
from gateway.schema.audience.saved import (
    DeletedSavedAudience,
    DeleteSavedAudienceResult,
    SaveAudienceResult,
    SavedAudience,
    SavedAudienceInput,
)
from gateway.schema.errors import result_of
from gateway.schema.info import GatewayInfo
from gateway.schema.permissions import MANAGE_CAMPAIGNS
from gateway.schema.wire import to_wire


@strawberry.type
class SavedAudienceMutations:
    @strawberry.mutation(
        permission_classes=MANAGE_CAMPAIGNS,
        description="Save a targeting under a name (unique in your clinic, ignoring case).",
    )
    async def create_saved_audience(
        self, info: GatewayInfo, input: SavedAudienceInput
    ) -> SaveAudienceResult | None:
        return await result_of(
            saved_audiences.create_saved_audience(info.context.caller(), to_wire(input)),
            SavedAudience.from_wire,
            expected=(errors.Invalid,),
        )

    @strawberry.mutation(
        permission_classes=MANAGE_CAMPAIGNS,
        description="Replace a saved audience; draft campaigns using it take the new targeting "
        "when next saved or launched.",
    )
    async def update_saved_audience(
        self, info: GatewayInfo, id: strawberry.ID, input: SavedAudienceInput
    ) -> SaveAudienceResult | None:
        return await result_of(
            saved_audiences.replace_saved_audience(info.context.caller(), str(id), to_wire(input)),
            SavedAudience.from_wire,
            expected=(errors.Invalid, errors.NotFound),
        )

    @strawberry.mutation(
        permission_classes=MANAGE_CAMPAIGNS,
        description="Delete a saved audience; campaigns that used it keep its targeting.",
    )
    async def delete_saved_audience(
        self, info: GatewayInfo, id: strawberry.ID
    ) -> DeleteSavedAudienceResult | None:
        return await result_of(
            saved_audiences.delete_saved_audience(info.context.caller(), str(id)),
            DeletedSavedAudience.from_wire,
            expected=(errors.NotFound,),
        )
