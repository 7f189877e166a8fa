"""Campaign snapshots on the real FerretDB: two compactors (two replicas whose leases
overlapped) racing over pages that keep arriving, duplicated and shuffled, never lose or double
a fact; stats and recipients read over HTTP equal one full fold of every fact."""

import asyncio
import json
import random
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from pymongo import AsyncMongoClient
from tracking_fold_scenarios import CLINIC, facts_of_campaign

from reengage_common.auth import generate_signing_key, issue_token
from reengage_common.db import make_mongo_client
from reengage_testing import serving
from tracking_svc.app import create_app
from tracking_svc.config import TrackingSettings
from tracking_svc.domain.facts import Fact, unique_facts
from tracking_svc.domain.recipients import fold
from tracking_svc.domain.stats import CampaignTerms, campaign_stats
from tracking_svc.snapshots import Snapshots
from tracking_svc.store import MongoTrackingStore

pytestmark = pytest.mark.infra


@asynccontextmanager
async def store_of(settings: TrackingSettings) -> AsyncIterator[MongoTrackingStore]:
    """The store the service under test uses: its database, through a client of the test's."""
    client: AsyncMongoClient = make_mongo_client(settings)
    try:
        yield MongoTrackingStore(client[settings.database_name])
    finally:
        await client.close()


async def test_two_compactors_racing_over_arriving_pages_never_lose_or_double_a_fact(
    infra, settings_for
) -> None:
    key = generate_signing_key()
    settings = settings_for(
        "tracking-svc", TrackingSettings, jwt_public_key=key.public_pem, compactor=False
    )
    token = issue_token(key, user_id="u-1", clinic_id=CLINIC, role="staff")
    campaign_id = f"c-snap-{uuid.uuid4().hex[:6]}"
    rng = random.Random(17)
    facts = facts_of_campaign(rng, 600)
    stream = facts + rng.sample(facts, len(facts) // 2)  # redeliveries
    rng.shuffle(stream)
    expected = campaign_stats(
        campaign_id, fold(unique_facts([x.encode() for x in facts])), CampaignTerms()
    )
    async with serving(create_app(settings)) as client, store_of(settings) as store:
        replicas = [Snapshots(store), Snapshots(store)]  # two replicas, both holding the lease
        client.headers["authorization"] = f"Bearer {token}"

        async def write() -> None:
            for start in range(0, len(stream), 97):
                batch = stream[start : start + 97]
                await store.store_facts({CLINIC: [(campaign_id, fact) for fact in batch]})
                await asyncio.sleep(0)

        async def compact(replica: Snapshots) -> None:
            for _ in range(12):
                await replica.compact_campaign(campaign_id)

        await asyncio.gather(write(), compact(replicas[0]), compact(replicas[1]))
        # the stats over HTTP before the last compaction (some pages still unfolded) ...
        before = (await client.get(f"/campaigns/{campaign_id}/stats")).json()
        while await store.pages.count_documents({"campaign_id": campaign_id}):
            await replicas[1].compact_campaign(campaign_id)
        after = (await client.get(f"/campaigns/{campaign_id}/stats")).json()

        items, cursor = [], None
        while True:
            params = {"first": 100, **({"after": cursor} if cursor else {})}
            page = (await client.get(f"/campaigns/{campaign_id}/recipients", params=params)).json()
            items += page["items"]
            if not page["pageInfo"]["hasNextPage"]:
                break
            cursor = page["pageInfo"]["endCursor"]
        responded = (
            await client.get(
                f"/campaigns/{campaign_id}/recipients", params={"status": "RESPONDED", "first": 100}
            )
        ).json()

    as_json = json.loads(json.dumps(expected))
    assert before == as_json and after == as_json
    assert after["recipients"] == 600 and after["responded"] == 150
    full = fold(unique_facts([x.encode() for x in facts])).recipients
    assert len(items) == 600 and len({i["patientId"] for i in items}) == 600
    assert all(i == {**full[i["patientId"]].to_json(), "cursor": i["cursor"]} for i in items)
    assert len(responded["items"]) == 100 and responded["pageInfo"]["hasNextPage"]
    assert {i["status"] for i in responded["items"]} == {"RESPONDED"}


async def test_the_stats_batch_answers_every_campaign_as_its_own_stats_do(
    infra, settings_for
) -> None:
    # given a campaign folded into a snapshot, one with every page unfolded, one with nothing
    key = generate_signing_key()
    settings = settings_for(
        "tracking-svc", TrackingSettings, jwt_public_key=key.public_pem, compactor=False
    )
    token = issue_token(key, user_id="u-1", clinic_id=CLINIC, role="staff")
    folded, unfolded, quiet = (f"c-batch-{n}-{uuid.uuid4().hex[:6]}" for n in range(3))
    rng = random.Random(23)
    facts = {folded: facts_of_campaign(rng, 200), unfolded: facts_of_campaign(rng, 120)}
    async with serving(create_app(settings)) as client, store_of(settings) as store:
        client.headers["authorization"] = f"Bearer {token}"
        for campaign_id, campaign_facts in facts.items():
            await store.store_facts({CLINIC: [(campaign_id, fact) for fact in campaign_facts]})
        await Snapshots(store).compact_campaign(folded)

        # when the three are asked for in one batch (one of them twice)
        ids = [folded, unfolded, quiet, folded]
        batch = await client.post("/stats/batch", json={"campaignIds": ids})
        own = [
            (await client.get(f"/campaigns/{c}/stats")).json() for c in (folded, unfolded, quiet)
        ]

    # then each answer is exactly that campaign's own stats, once, in the order asked
    assert batch.status_code == 200, batch.text
    assert batch.json()["items"] == own
    assert [own[0]["recipients"], own[1]["recipients"], own[2]["recipients"]] == [200, 120, 0]


async def test_stats_asked_again_while_pages_arrive_fold_only_the_new_pages_and_stay_exact(
    infra, settings_for
) -> None:
    """The API keeps the view it made and folds only the pages it lacks (a send with the
    compactor behind); every answer equals one full fold of the facts stored so far, including
    repeats of facts already folded and a compaction in between."""
    key = generate_signing_key()
    settings = settings_for(
        "tracking-svc", TrackingSettings, jwt_public_key=key.public_pem, compactor=False
    )
    token = issue_token(key, user_id="u-1", clinic_id=CLINIC, role="staff")
    campaign_id = f"c-incr-{uuid.uuid4().hex[:6]}"
    rng = random.Random(29)
    facts = facts_of_campaign(rng, 300)
    stream = facts + rng.sample(facts, 100)  # redeliveries land in later pages
    rng.shuffle(stream)
    stored: list[Fact] = []

    async with serving(create_app(settings)) as client, store_of(settings) as store:
        client.headers["authorization"] = f"Bearer {token}"
        for start in range(0, len(stream), 90):
            batch = stream[start : start + 90]
            await store.store_facts({CLINIC: [(campaign_id, fact) for fact in batch]})
            stored += batch
            if start == 270:  # a compaction in between: a new head, fewer pages
                await Snapshots(store).compact_campaign(campaign_id)
            answer = (await client.get(f"/campaigns/{campaign_id}/stats")).json()
            again = (await client.get(f"/campaigns/{campaign_id}/stats")).json()
            so_far = fold(unique_facts([x.encode() for x in stored]))
            expected = campaign_stats(campaign_id, so_far, CampaignTerms())
            assert answer == again == json.loads(json.dumps(expected))
