"""updateCampaign: replace a campaign's editable definition (campaign-svc says which states allow it)."""

from typing import Annotated

import strawberry

from gateway.operations import campaigns, errors
from gateway.schema.campaigns.inputs import CampaignInput
from gateway.schema.campaigns.types import Campaign, campaign_from_wire
from gateway.schema.errors import NotAllowed, NotFound, ValidationError, result_of
from gateway.schema.info import GatewayInfo
from gateway.schema.permissions import MANAGE_CAMPAIGNS
from gateway.schema.wire import to_wire

UpdateCampaignResult = Annotated[
    Campaign | ValidationError | NotFound | NotAllowed, strawberry.union("UpdateCampaignResult")
]


@strawberry.type
class UpdateCampaignMutation:
    @strawberry.mutation(
        permission_classes=MANAGE_CAMPAIGNS, description="Replace the editable definition."
    )
    async def update_campaign(
        self, info: GatewayInfo, id: strawberry.ID, input: CampaignInput
    ) -> UpdateCampaignResult | None:
        return await result_of(
            campaigns.update_campaign(info.context.caller(), str(id), to_wire(input)),
            campaign_from_wire,
            expected=(errors.Invalid, errors.NotFound, errors.NotAllowed),
        )
