"""Campaign results from tracking-svc: stats and recipients (NotAvailable until it exists)."""

from collections.abc import Sequence

from gateway.operations import campaigns
from gateway.operations.access import READ, Caller, requires
from gateway.operations.service_calls import JSONDocument, call_service, query_params, segment

SERVICE = "tracking-svc"

# The counters of a campaign's stats, as tracking-svc names them.
STAT_COUNTS = (
    "recipients",
    "sent",
    "delivered",
    "failed",
    "responded",
    "interested",
    "rebooked",
    "unsubscribed",
    "bounced",
    "revenueCents",
    "costCents",
)


def no_activity(campaign_id: str) -> JSONDocument:
    """The figures of a campaign tracking-svc has seen nothing of yet (e.g. a draft)."""
    return {"campaignId": campaign_id, **dict.fromkeys(STAT_COUNTS, 0), "roi": None}


@requires(READ)
async def stats_by_campaign_ids(caller: Caller, campaign_ids: Sequence[str]) -> list[JSONDocument]:
    """One batch call for many campaigns, answered in their order."""
    if not campaign_ids:
        return []
    answer = await call_service(
        caller, SERVICE, "POST", "/stats/batch", json={"campaignIds": list(campaign_ids)}
    )
    by_id = {item["campaignId"]: item for item in answer.get("items", [])}
    return [by_id.get(campaign_id) or no_activity(campaign_id) for campaign_id in campaign_ids]


@requires(READ)
async def campaign_stats(caller: Caller, campaign_id: str) -> JSONDocument:
    # The campaign is looked up first so another clinic's id is a NotFound, as everywhere.
    await campaigns.get_campaign(caller, campaign_id)
    (stats,) = await stats_by_campaign_ids(caller, [campaign_id])
    return stats


@requires(READ)
async def campaign_recipients(
    caller: Caller,
    campaign_id: str,
    *,
    status: str | None = None,
    first: int | None = None,
    after: str | None = None,
) -> JSONDocument:
    """A page: `{"items": [{patientId, status, variant, channel, lastEventAt}], "pageInfo", "totalCount"}`."""
    await campaigns.get_campaign(caller, campaign_id)
    params = query_params(status=status, first=first, after=after)
    return await call_service(
        caller, SERVICE, "GET", f"/campaigns/{segment(campaign_id)}/recipients", params=params
    )
