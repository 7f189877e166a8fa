"""createCampaign: a new DRAFT campaign in the caller's clinic (the clinic comes from the token)."""

from typing import Annotated

import strawberry

from gateway.operations import campaigns, errors
from gateway.schema.campaigns.inputs import CampaignInput
from gateway.schema.campaigns.types import Campaign, campaign_from_wire
from gateway.schema.errors import ValidationError, result_of
from gateway.schema.info import GatewayInfo
from gateway.schema.permissions import MANAGE_CAMPAIGNS
from gateway.schema.wire import to_wire

CreateCampaignResult = Annotated[
    Campaign | ValidationError, strawberry.union("CreateCampaignResult")
]


@strawberry.type
class CreateCampaignMutation:
    @strawberry.mutation(permission_classes=MANAGE_CAMPAIGNS, description="Save a new draft.")
    async def create_campaign(
        self, info: GatewayInfo, input: CampaignInput
    ) -> CreateCampaignResult | None:
        return await result_of(
            campaigns.create_campaign(info.context.caller(), to_wire(input)),
            campaign_from_wire,
            expected=(errors.Invalid,),
        )
