"""Every DataLoader of one request (or one websocket connection), made by the context getter."""

from collections.abc import Callable
from dataclasses import dataclass

from gateway.operations.access import Caller
from gateway.schema.campaigns.loaders import CampaignByIdLoader
from gateway.schema.tracking.loaders import (
    StatsByCampaignIdLoader,
    StatsDocumentByCampaignIdLoader,
)


@dataclass(frozen=True)
class Loaders:
    campaign_by_id: CampaignByIdLoader
    stats_document_by_campaign_id: StatsDocumentByCampaignIdLoader
    stats_by_campaign_id: StatsByCampaignIdLoader


def make_loaders(caller: Callable[[], Caller], *, cache: bool = True) -> Loaders:
    """`cache=False` for a websocket: its context lives as long as the connection, and live
    figures must not be served from a cache that old (batching still applies)."""
    documents = StatsDocumentByCampaignIdLoader(caller, cache=cache)
    return Loaders(
        campaign_by_id=CampaignByIdLoader(caller, cache=cache),
        stats_document_by_campaign_id=documents,
        stats_by_campaign_id=StatsByCampaignIdLoader(documents, cache=cache),
    )
