"""deleteCampaign: remove a campaign (campaign-svc says which states allow it)."""

from typing import Annotated

import strawberry

from gateway.operations import campaigns, errors
from gateway.schema.campaigns.types import DeletedCampaign
from gateway.schema.errors import NotAllowed, NotFound, result_of
from gateway.schema.info import GatewayInfo
from gateway.schema.permissions import MANAGE_CAMPAIGNS

DeleteCampaignResult = Annotated[
    DeletedCampaign | NotFound | NotAllowed, strawberry.union("DeleteCampaignResult")
]


@strawberry.type
class DeleteCampaignMutation:
    @strawberry.mutation(permission_classes=MANAGE_CAMPAIGNS, description="Delete the campaign.")
    async def delete_campaign(
        self, info: GatewayInfo, id: strawberry.ID
    ) -> DeleteCampaignResult | None:
        return await result_of(
            campaigns.delete_campaign(info.context.caller(), str(id)),
            DeletedCampaign.from_wire,
            expected=(errors.NotFound, errors.NotAllowed),
        )
