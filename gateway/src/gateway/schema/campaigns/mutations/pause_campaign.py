"""pauseCampaign: an ACTIVE campaign holds its sending."""

from typing import Annotated

import strawberry

from gateway.operations import campaigns, errors
from gateway.schema.campaigns.types import Campaign, campaign_from_wire
from gateway.schema.errors import NotAllowed, NotFound, ValidationError, result_of
from gateway.schema.info import GatewayInfo
from gateway.schema.permissions import MANAGE_CAMPAIGNS

PauseCampaignResult = Annotated[
    Campaign | ValidationError | NotFound | NotAllowed, strawberry.union("PauseCampaignResult")
]


@strawberry.type
class PauseCampaignMutation:
    @strawberry.mutation(
        permission_classes=MANAGE_CAMPAIGNS, description="Hold an active campaign."
    )
    async def pause_campaign(
        self, info: GatewayInfo, id: strawberry.ID
    ) -> PauseCampaignResult | None:
        return await result_of(
            campaigns.pause_campaign(info.context.caller(), str(id)),
            campaign_from_wire,
            expected=(errors.Invalid, errors.NotFound, errors.NotAllowed),
        )
