"""duplicateCampaign: a new DRAFT "Copy of ..." of a campaign, e.g. of a template draft."""

from typing import Annotated

import strawberry

from gateway.operations import campaigns, errors
from gateway.schema.campaigns.types import Campaign, campaign_from_wire
from gateway.schema.errors import NotAllowed, NotFound, result_of
from gateway.schema.info import GatewayInfo
from gateway.schema.permissions import MANAGE_CAMPAIGNS

DuplicateCampaignResult = Annotated[
    Campaign | NotFound | NotAllowed, strawberry.union("DuplicateCampaignResult")
]


@strawberry.type
class DuplicateCampaignMutation:
    @strawberry.mutation(
        permission_classes=MANAGE_CAMPAIGNS, description="Copy the campaign as a new draft."
    )
    async def duplicate_campaign(
        self, info: GatewayInfo, id: strawberry.ID
    ) -> DuplicateCampaignResult | None:
        return await result_of(
            campaigns.duplicate_campaign(info.context.caller(), str(id)),
            campaign_from_wire,
            expected=(errors.NotFound, errors.NotAllowed),
        )
