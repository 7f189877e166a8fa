"""Stats by campaign id: a page of 50 campaigns costs one batch call to tracking-svc.

The call's documents are loaded once and read two ways: a page's counters take four numbers
from each document, while a whole `CampaignStats` (variants, channels, steps, A/B tests) is
built only for the fields that ask for it. Building it for every counter of a page of 50
launched campaigns was most of the gateway's CPU for that page (bench_counters, docs/perf.md).
"""

from collections.abc import Callable

from strawberry.dataloader import DataLoader

from gateway.operations import tracking
from gateway.operations.access import Caller
from gateway.operations.service_calls import JSONDocument


class StatsDocumentByCampaignIdLoader(DataLoader[str, JSONDocument]):
    def __init__(self, caller: Callable[[], Caller], *, cache: bool = True) -> None:
        super().__init__(load_fn=self._load, cache=cache)
        self._caller = caller

    async def _load(self, campaign_ids: list[str]) -> list[JSONDocument]:
        return await tracking.stats_by_campaign_ids(self._caller(), campaign_ids)
