"""Campaign results from tracking-svc: stats and recipients (NotAvailable while it is down)."""

from collections.abc import Sequence
from typing import Any

from gateway.operations import campaigns
from gateway.operations.access import READ, Caller, requires
from gateway.operations.errors import Forbidden, NotAvailable, ServiceFailed
from gateway.operations.service_calls import JSONDocument, call_service, query_params

SERVICE = "tracking-svc"

# The counters of a campaign's stats, as tracking-svc names them.
STAT_COUNTS = (
    "targeted",
    "heldOut",
    "recipients",
    "contacted",
    "sent",
    "delivered",
    "failed",
    "skipped",
    "responded",
    "interested",
    "notInterested",
    "clicked",
    "replied",
    "rebooked",
    "unsubscribed",
    "bounced",
    "messageCostCents",
    "incentivesRedeemed",
    "incentiveCostCents",
    "revenueCents",
    "costCents",
)
# The campaign's own counters in the spec, and the figure each one is.
CAMPAIGN_COUNTS = {
    "targetCount": "targeted",
    "sentCount": "sent",
    "responseCount": "responded",
    "rebookedCount": "rebooked",
}


def no_activity(campaign_id: str) -> JSONDocument:
    """The figures of a campaign tracking-svc has seen nothing of yet (e.g. a draft)."""
    return {"campaignId": campaign_id, **dict.fromkeys(STAT_COUNTS, 0), "roi": None}


def ever_launched(status: str | None) -> bool:
    """Only a launched campaign has figures: DRAFT is left only by a launch, so a draft has
    nothing to count and tracking-svc is not asked about it."""
    return status != "DRAFT"


def campaign_counts(stats: JSONDocument | None) -> JSONDocument:
    """targetCount, sentCount, responseCount, rebookedCount and statsAvailable; without stats
    (tracking-svc down) the counts are 0 and statsAvailable is false, so a campaign still reads."""
    figures = stats or {}
    return {
        **{name: int(figures.get(figure) or 0) for name, figure in CAMPAIGN_COUNTS.items()},
        "statsAvailable": stats is not None,
    }


@requires(READ)
async def stats_by_campaign_ids(
    caller: Caller, campaign_ids: Sequence[str], *, max_age: float | None = None
) -> list[JSONDocument]:
    """One batch call for many campaigns, answered in their order; `max_age` (seconds): no
    answer tracking-svc computed longer ago (by default its recent answers are fine)."""
    if not campaign_ids:
        return []
    body: dict[str, Any] = {"campaignIds": list(campaign_ids)}
    if max_age is not None:
        body["maxAgeSeconds"] = max_age
    answer = await call_service(caller, SERVICE, "POST", "/stats/batch", json=body)
    by_id = {item["campaignId"]: item for item in answer.get("items", [])}
    return [by_id.get(campaign_id) or no_activity(campaign_id) for campaign_id in campaign_ids]


@requires(READ)
async def campaign_stats(caller: Caller, campaign_id: str) -> JSONDocument:
    # The campaign is looked up first so another clinic's id is a NotFound, as everywhere.
    campaign = await campaigns.get_campaign(caller, campaign_id)
    if not ever_launched(campaign.get("status")):
        return no_activity(campaign_id)
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
    with_total: bool = False,
) -> JSONDocument:
    """A page: `{"items": [recipient...], "pageInfo", "totalCount"?}`; the total costs the
    stats query, so only REST (whose page always has it) asks; GraphQL reads the stats."""
    await campaigns.get_campaign(caller, campaign_id)
    params = query_params(
        status=status, first=first, after=after, withTotal="true" if with_total else None
    )
    return await call_service(
        caller, SERVICE, "GET", campaigns.campaign_path(campaign_id, "recipients"), params=params
    )


async def with_campaign_counts(caller: Caller, documents: list[JSONDocument]) -> list[JSONDocument]:
    """Campaign documents with the spec's counters (one batch call). A campaign reads without
    its figures: while tracking-svc does not answer, or for a caller who may not see them."""
    try:
        figures: list[JSONDocument | None] = list(await _figures_of(caller, documents))
    except (NotAvailable, ServiceFailed, Forbidden):
        figures = [None] * len(documents)
    return [{**d, **campaign_counts(f)} for d, f in zip(documents, figures, strict=True)]


@requires(READ)
async def _figures_of(caller: Caller, documents: list[JSONDocument]) -> list[JSONDocument]:
    launched = [d["id"] for d in documents if ever_launched(d.get("status"))]
    found = dict(zip(launched, await stats_by_campaign_ids(caller, launched), strict=True))
    return [found.get(d["id"]) or no_activity(d["id"]) for d in documents]
