"""Live stats: tracking-svc's figures polled through the same operation, sent when they change."""

import asyncio
from collections.abc import AsyncGenerator

import strawberry
from strawberry.types import Info

from gateway.context import GatewayContext
from gateway.operations import campaigns, errors, tracking
from gateway.schema.errors import error_result, graphql_error
from gateway.schema.permissions import VIEW
from gateway.schema.tracking.types import CampaignStats, CampaignStatsResult


@strawberry.type
class TrackingSubscriptions:
    @strawberry.subscription(
        permission_classes=VIEW,
        description=(
            "The campaign's stats now and whenever they change. Ends after one NotFound or "
            "NotAvailable (tracking-svc not deployed yet)."
        ),
    )
    async def campaign_stats(
        self, info: Info[GatewayContext, None], id: strawberry.ID
    ) -> AsyncGenerator[CampaignStatsResult, None]:
        caller = info.context.caller()
        campaign_id = str(id)
        previous: dict[str, object] | None = None
        try:
            await campaigns.get_campaign(caller, campaign_id)
            while True:
                (figures,) = await tracking.stats_by_campaign_ids(caller, [campaign_id])
                if figures != previous:
                    previous = figures
                    yield CampaignStats.from_wire(figures)
                await asyncio.sleep(info.context.stats_poll_seconds)
        except (errors.NotFound, errors.NotAvailable) as error:
            yield error_result(error)
        except errors.OperationError as error:
            raise graphql_error(error) from error
