"""Campaign results: a campaign's stats and its recipients, from tracking-svc."""

import strawberry

from gateway.operations import errors, tracking
from gateway.schema.campaigns.types import CampaignStatsResult, stats_from_wire
from gateway.schema.errors import result_of
from gateway.schema.info import GatewayInfo
from gateway.schema.permissions import VIEW
from gateway.schema.tracking.types import RecipientConnection, RecipientsResult


@strawberry.type
class TrackingQueries:
    @strawberry.field(
        permission_classes=VIEW, description="NotAvailable while tracking-svc cannot be reached."
    )
    async def campaign_stats(
        self, info: GatewayInfo, id: strawberry.ID
    ) -> CampaignStatsResult | None:
        return await result_of(
            tracking.campaign_stats(info.context.caller(), str(id)),
            stats_from_wire,
            expected=(errors.NotFound, errors.NotAvailable),
        )

    @strawberry.field(
        permission_classes=VIEW,
        description="Recipients by cursor; NotAvailable while tracking-svc cannot be reached.",
    )
    async def campaign_recipients(
        self,
        info: GatewayInfo,
        campaign_id: strawberry.ID,
        status: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> RecipientsResult | None:
        return await result_of(
            tracking.campaign_recipients(
                info.context.caller(),
                str(campaign_id),
                status=status,
                first=first,
                after=after,
            ),
            lambda page: RecipientConnection.from_wire(page, str(campaign_id), status),
            expected=(errors.NotFound, errors.NotAvailable),
        )
