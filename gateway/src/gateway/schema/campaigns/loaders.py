"""Campaigns by id, many in one call to campaign-svc: campaign-svc's documents (None for an id
the caller's clinic does not have); the types build what a field shows from them."""

from collections.abc import Callable

from strawberry.dataloader import DataLoader

from gateway.operations import campaigns
from gateway.operations.access import Caller
from gateway.operations.service_calls import JSONDocument


class CampaignDocumentByIdLoader(DataLoader[str, JSONDocument | None]):
    def __init__(self, caller: Callable[[], Caller], *, cache: bool = True) -> None:
        super().__init__(load_fn=self._load, cache=cache)
        self._caller = caller

    async def _load(self, campaign_ids: list[str]) -> list[JSONDocument | None]:
        return await campaigns.campaigns_by_ids(self._caller(), campaign_ids)
