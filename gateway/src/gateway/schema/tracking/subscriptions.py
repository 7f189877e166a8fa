"""Live stats: the campaign's figures now and each time its events say they changed."""

from collections.abc import AsyncGenerator
from typing import Any

import strawberry

from gateway.live.stats import MIN_INTERVAL_SECONDS, LiveStats
from gateway.operations import campaigns, errors, tracking
from gateway.operations.access import Caller
from gateway.schema.campaigns.types import CampaignStatsResult, stats_from_wire
from gateway.schema.errors import error_result, graphql_error
from gateway.schema.info import GatewayInfo
from gateway.schema.permissions import VIEW


async def fetch_stats(caller: Caller, campaign_id: str) -> dict[str, Any]:
    # Fetched because an event said the figures changed: not tracking-svc's recent answer from
    # before it (at most one computation per campaign and MIN_INTERVAL_SECONDS).
    (figures,) = await tracking.stats_by_campaign_ids(
        caller, [campaign_id], max_age=MIN_INTERVAL_SECONDS
    )
    return figures


@strawberry.type
class TrackingSubscriptions:
    @strawberry.subscription(
        permission_classes=VIEW,
        description=(
            "The campaign's stats now and whenever its events change them (at most a few times "
            "a second). Ends after one NotFound or NotAvailable."
        ),
    )
    async def campaign_stats(
        self, info: GatewayInfo, id: strawberry.ID
    ) -> AsyncGenerator[CampaignStatsResult, None]:
        caller = info.context.caller()
        campaign_id = str(id)
        context = info.context
        # Without the app's hub (a schema run on its own) a private one refreshes by time only.
        hub = context.live_stats or LiveStats(context.settings, fetch_stats, kafka=False)
        try:
            await campaigns.get_campaign(caller, campaign_id)
            async with hub.subscribe(
                caller, campaign_id, refresh=context.stats_poll_seconds
            ) as updates:
                while True:
                    update = await updates.get()
                    if isinstance(update, errors.OperationError):
                        raise update
                    yield stats_from_wire(update)
        except (errors.NotFound, errors.NotAvailable) as error:
            yield error_result(error)
        except errors.OperationError as error:
            raise graphql_error(error) from error
