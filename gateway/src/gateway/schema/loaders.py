"""Every DataLoader of one request (or one websocket connection), made by the context getter.

Loaders batch calls and answer the operations layer's documents; the types build GraphQL
objects from them, so loaders import no type (and the context that holds them no schema).
"""

from collections.abc import Callable
from dataclasses import dataclass

from gateway.operations.access import Caller
from gateway.schema.campaigns.loaders import CampaignDocumentByIdLoader
from gateway.schema.tracking.loaders import StatsDocumentByCampaignIdLoader


@dataclass(frozen=True)
class Loaders:
    campaign_document_by_id: CampaignDocumentByIdLoader
    stats_document_by_campaign_id: StatsDocumentByCampaignIdLoader


def make_loaders(caller: Callable[[], Caller], *, cache: bool = True) -> Loaders:
    """`cache=False` for a websocket: its context lives as long as the connection, and live
    figures must not be served from a cache that old (batching still applies)."""
    return Loaders(
        campaign_document_by_id=CampaignDocumentByIdLoader(caller, cache=cache),
        stats_document_by_campaign_id=StatsDocumentByCampaignIdLoader(caller, cache=cache),
    )
