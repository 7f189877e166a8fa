"""Tracking's fold on the real FerretDB / MongoDB: the scenarios of `tracking_fold_scenarios`,
which unit/test_fold.py runs on the in-memory store, with the same assertions."""

import uuid
from collections.abc import AsyncIterator

import pytest
from pymongo import AsyncMongoClient
from tracking_fold_scenarios import (
    stats_asked_again_while_pages_arrive_stay_exact,
    the_stats_batch_answers_every_campaign_as_its_own_stats_do,
    two_compactors_racing_never_lose_or_double_a_fact,
)

from reengage_common.db import make_mongo_client
from tracking_svc.config import TrackingSettings
from tracking_svc.store import MongoTrackingStore

pytestmark = pytest.mark.infra


@pytest.fixture
async def mongo_store(infra, settings_for) -> AsyncIterator[MongoTrackingStore]:
    settings = settings_for("tracking-svc", TrackingSettings)
    client: AsyncMongoClient = make_mongo_client(settings)
    try:
        yield MongoTrackingStore(client[settings.database_name])
    finally:
        await client.close()


def campaign(name: str) -> str:
    return f"c-{name}-{uuid.uuid4().hex[:6]}"


async def test_two_compactors_racing_over_arriving_pages_never_lose_or_double_a_fact(
    mongo_store,
) -> None:
    await two_compactors_racing_never_lose_or_double_a_fact(mongo_store, campaign("race"))


async def test_the_stats_batch_answers_every_campaign_as_its_own_stats_do(mongo_store) -> None:
    await the_stats_batch_answers_every_campaign_as_its_own_stats_do(mongo_store, campaign("batch"))


async def test_stats_asked_again_while_pages_arrive_stay_exact(mongo_store) -> None:
    await stats_asked_again_while_pages_arrive_stay_exact(mongo_store, campaign("incr"))
