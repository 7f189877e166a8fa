"""cancelCampaign: the campaign stops for good; nothing more is sent."""

from typing import Annotated

import strawberry

from gateway.operations import campaigns, errors
from gateway.schema.campaigns.types import Campaign, campaign_from_wire
from gateway.schema.errors import NotAllowed, NotFound, ValidationError, result_of
from gateway.schema.info import GatewayInfo
from gateway.schema.permissions import MANAGE_CAMPAIGNS

CancelCampaignResult = Annotated[
    Campaign | ValidationError | NotFound | NotAllowed, strawberry.union("CancelCampaignResult")
]


@strawberry.type
class CancelCampaignMutation:
    @strawberry.mutation(
        permission_classes=MANAGE_CAMPAIGNS, description="Stop the campaign for good."
    )
    async def cancel_campaign(
        self, info: GatewayInfo, id: strawberry.ID
    ) -> CancelCampaignResult | None:
        return await result_of(
            campaigns.cancel_campaign(info.context.caller(), str(id)),
            campaign_from_wire,
            expected=(errors.Invalid, errors.NotFound, errors.NotAllowed),
        )
