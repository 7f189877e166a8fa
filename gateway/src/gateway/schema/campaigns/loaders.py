"""Campaigns by id, many in one call to campaign-svc."""

from collections.abc import Callable

from strawberry.dataloader import DataLoader

from gateway.operations import campaigns
from gateway.operations.access import Caller
from gateway.schema.campaigns.types import Campaign


class CampaignByIdLoader(DataLoader[str, Campaign | None]):
    def __init__(self, caller: Callable[[], Caller], *, cache: bool = True) -> None:
        super().__init__(load_fn=self._load, cache=cache)
        self._caller = caller

    async def _load(self, campaign_ids: list[str]) -> list[Campaign | None]:
        documents = await campaigns.campaigns_by_ids(self._caller(), campaign_ids)
        return [Campaign.from_wire(document) if document else None for document in documents]
