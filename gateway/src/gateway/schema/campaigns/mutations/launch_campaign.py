"""launchCampaign: a DRAFT or SCHEDULED campaign starts (campaign-svc validates again)."""

from typing import Annotated

import strawberry

from gateway.operations import campaigns, errors
from gateway.schema.campaigns.types import Campaign, campaign_from_wire
from gateway.schema.errors import NotAllowed, NotFound, ValidationError, result_of
from gateway.schema.info import GatewayInfo
from gateway.schema.permissions import LAUNCH_CAMPAIGNS

LaunchCampaignResult = Annotated[
    Campaign | ValidationError | NotFound | NotAllowed, strawberry.union("LaunchCampaignResult")
]


@strawberry.type
class LaunchCampaignMutation:
    @strawberry.mutation(
        permission_classes=LAUNCH_CAMPAIGNS,
        description="Start the campaign; needs role clinic_admin.",
    )
    async def launch_campaign(
        self, info: GatewayInfo, id: strawberry.ID
    ) -> LaunchCampaignResult | None:
        return await result_of(
            campaigns.launch_campaign(info.context.caller(), str(id)),
            campaign_from_wire,
            expected=(errors.Invalid, errors.NotFound, errors.NotAllowed),
        )
