"""Campaign reads: a Relay-style page, or one campaign."""

import strawberry

from gateway.operations import campaigns
from gateway.operations.errors import NotFound
from gateway.schema.campaigns.types import Campaign, CampaignConnection, campaign_from_wire
from gateway.schema.enums import CampaignStatus
from gateway.schema.errors import answer_of, result_of
from gateway.schema.info import GatewayInfo
from gateway.schema.permissions import VIEW


@strawberry.type
class CampaignQueries:
    @strawberry.field(
        permission_classes=VIEW, description="Your clinic's campaigns, a page at a time."
    )
    async def campaigns(
        self,
        info: GatewayInfo,
        status: CampaignStatus | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> CampaignConnection | None:
        page = await answer_of(
            campaigns.list_campaigns(
                info.context.caller(),
                status=status.value if status else None,
                first=first,
                after=after,
            )
        )
        return CampaignConnection.from_wire(page)

    @strawberry.field(permission_classes=VIEW, description="Null when not in your clinic.")
    async def campaign(self, info: GatewayInfo, id: strawberry.ID) -> Campaign | None:
        found = await result_of(
            campaigns.get_campaign(info.context.caller(), str(id)),
            campaign_from_wire,
            expected=(NotFound,),
        )
        return found if isinstance(found, Campaign) else None
