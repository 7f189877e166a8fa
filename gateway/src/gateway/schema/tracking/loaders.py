"""Stats by campaign id: a page of 50 campaigns costs one batch call to tracking-svc."""

from collections.abc import Callable

from strawberry.dataloader import DataLoader

from gateway.operations import tracking
from gateway.operations.access import Caller
from gateway.schema.tracking.types import CampaignStats


class StatsByCampaignIdLoader(DataLoader[str, CampaignStats]):
    def __init__(self, caller: Callable[[], Caller], *, cache: bool = True) -> None:
        super().__init__(load_fn=self._load, cache=cache)
        self._caller = caller

    async def _load(self, campaign_ids: list[str]) -> list[CampaignStats]:
        documents = await tracking.stats_by_campaign_ids(self._caller(), campaign_ids)
        return [CampaignStats.from_wire(document) for document in documents]
