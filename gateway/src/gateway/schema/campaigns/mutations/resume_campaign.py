"""resumeCampaign: a PAUSED campaign sends again."""

from typing import Annotated

import strawberry

from gateway.operations import campaigns, errors
from gateway.schema.campaigns.types import Campaign, campaign_from_wire
from gateway.schema.errors import NotAllowed, NotFound, ValidationError, result_of
from gateway.schema.info import GatewayInfo
from gateway.schema.permissions import MANAGE_CAMPAIGNS

ResumeCampaignResult = Annotated[
    Campaign | ValidationError | NotFound | NotAllowed, strawberry.union("ResumeCampaignResult")
]


@strawberry.type
class ResumeCampaignMutation:
    @strawberry.mutation(
        permission_classes=MANAGE_CAMPAIGNS, description="Resume a paused campaign."
    )
    async def resume_campaign(
        self, info: GatewayInfo, id: strawberry.ID
    ) -> ResumeCampaignResult | None:
        return await result_of(
            campaigns.resume_campaign(info.context.caller(), str(id)),
            campaign_from_wire,
            expected=(errors.Invalid, errors.NotFound, errors.NotAllowed),
        )
