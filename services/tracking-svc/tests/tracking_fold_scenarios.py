"""Tracking's fold as scenarios over any `TrackingStore`: the unit tests run them on the
in-memory fake (no server), the integration tests on MongoDB / FerretDB, with the same
assertions. Facts arrive duplicated and shuffled, two compactors race, stats are asked while
pages keep coming: every answer equals one full fold of the facts stored so far."""

import asyncio
import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from tracking_svc.domain import facts as f
from tracking_svc.domain.facts import Fact, iso, unique_facts
from tracking_svc.domain.recipients import fold
from tracking_svc.domain.stats import CampaignTerms, campaign_stats
from tracking_svc.reads import recipients_page, stats_of, stats_of_campaigns
from tracking_svc.snapshots import Snapshots
from tracking_svc.store import TrackingStore

CLINIC = "clinic-s"
T0 = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


def facts_of_campaign(rng: random.Random, patients: int) -> list[Fact]:
    out = [Fact(f.EVALUATED, "eval:c:1:x", "", iso(T0), {"targeted": patients, "heldOut": 0})]
    for n in range(patients):
        p, v = f"p{n:04d}", "AB"[n % 2]
        m = f"m-{p}"
        base = {"m": m, "s": 1, "ch": "SMS" if n % 3 else "EMAIL", "v": v}
        out.append(Fact(f.DUE, f"due:{m}", p, iso(T0), {**base, "fn": f"F{n}"}))
        outcome = rng.choice(["SENT", "SENT", "SENT", "FAILED"])
        later = iso(T0 + timedelta(minutes=n))
        out.append(Fact(f.SENT, f"sent:{m}", p, later, {**base, "o": outcome, "c": 2}))
        if n % 4 == 0:
            out.append(Fact(f.RESPONSE, f"resp:INTERESTED:c:{p}", p, later, {"r": "INTERESTED"}))
    return out


def full_fold(campaign_id: str, facts: list[Fact]) -> dict[str, Any]:
    """The figures of one fold of every fact, as the API answers them (JSON)."""
    folded = fold(unique_facts([x.encode() for x in facts]))
    return as_json(campaign_stats(campaign_id, folded, CampaignTerms()))


def as_json(value: Any) -> Any:
    return json.loads(json.dumps(value))


async def store(store: TrackingStore, campaign_id: str, facts: list[Fact]) -> None:
    await store.store_facts({CLINIC: [(campaign_id, fact) for fact in facts]})


async def every_recipient(snapshots: Snapshots, campaign_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = await recipients_page(
            CLINIC, campaign_id, snapshots, status=None, first=100, after=cursor
        )
        items += page.items
        if not page.has_next:
            return items
        cursor = page.end_cursor


async def two_compactors_racing_never_lose_or_double_a_fact(
    tracking_store: TrackingStore, campaign_id: str
) -> None:
    rng = random.Random(17)
    facts = facts_of_campaign(rng, 600)
    stream = facts + rng.sample(facts, len(facts) // 2)  # redeliveries
    rng.shuffle(stream)
    replicas = [Snapshots(tracking_store), Snapshots(tracking_store)]  # both hold "the lease"
    reader = Snapshots(tracking_store)

    async def write() -> None:
        for start in range(0, len(stream), 97):
            await store(tracking_store, campaign_id, stream[start : start + 97])
            await asyncio.sleep(0)

    async def compact(replica: Snapshots) -> None:
        for _ in range(12):
            await replica.compact_campaign(campaign_id)

    await asyncio.gather(write(), compact(replicas[0]), compact(replicas[1]))
    # the stats before the last compaction (some pages still unfolded) ...
    before = as_json(await stats_of(CLINIC, campaign_id, reader))
    while await tracking_store.unfolded_pages(campaign_id):
        await replicas[1].compact_campaign(campaign_id)
    after = as_json(await stats_of(CLINIC, campaign_id, reader))
    items = await every_recipient(reader, campaign_id)
    responded = await recipients_page(
        CLINIC, campaign_id, reader, status="RESPONDED", first=100, after=None
    )

    expected = full_fold(campaign_id, facts)
    assert before == expected and after == expected
    assert after["recipients"] == 600 and after["responded"] == 150
    full = fold(unique_facts([x.encode() for x in facts])).recipients
    assert len(items) == 600 and len({i["patientId"] for i in items}) == 600
    assert all(i == {**full[i["patientId"]].to_json(), "cursor": i["cursor"]} for i in items)
    assert len(responded.items) == 100 and responded.has_next
    assert {i["status"] for i in responded.items} == {"RESPONDED"}


async def the_stats_batch_answers_every_campaign_as_its_own_stats_do(
    tracking_store: TrackingStore, prefix: str
) -> None:
    # given a campaign folded into a snapshot, one with every page unfolded, one with nothing
    folded, unfolded, quiet = (f"{prefix}-{n}" for n in range(3))
    rng = random.Random(23)
    facts = {folded: facts_of_campaign(rng, 200), unfolded: facts_of_campaign(rng, 120)}
    for campaign_id, campaign_facts in facts.items():
        await store(tracking_store, campaign_id, campaign_facts)
    await Snapshots(tracking_store).compact_campaign(folded)
    snapshots = Snapshots(tracking_store)

    # when the three are asked for in one batch (one of them twice)
    batch = await stats_of_campaigns(CLINIC, [folded, unfolded, quiet, folded], snapshots)
    own = [await stats_of(CLINIC, c, snapshots) for c in (folded, unfolded, quiet)]

    # then each answer is exactly that campaign's own stats, in the order asked
    assert as_json(batch) == as_json([*own, own[0]])
    assert [own[0]["recipients"], own[1]["recipients"], own[2]["recipients"]] == [200, 120, 0]


async def stats_asked_again_while_pages_arrive_stay_exact(
    tracking_store: TrackingStore, campaign_id: str
) -> None:
    """A reader keeps the view it made and folds only the pages it lacks; every answer equals
    one full fold of the facts stored so far, including repeats of facts already folded and
    a compaction in between."""
    rng = random.Random(29)
    facts = facts_of_campaign(rng, 300)
    stream = facts + rng.sample(facts, 100)  # redeliveries land in later pages
    rng.shuffle(stream)
    stored: list[Fact] = []
    snapshots = Snapshots(tracking_store)
    for start in range(0, len(stream), 90):
        batch = stream[start : start + 90]
        await store(tracking_store, campaign_id, batch)
        stored += batch
        if start == 270:  # a compaction in between: a new head, fewer pages
            await Snapshots(tracking_store).compact_campaign(campaign_id)
        answer = as_json(await stats_of(CLINIC, campaign_id, snapshots))
        again = as_json(await stats_of(CLINIC, campaign_id, snapshots))
        assert answer == again == full_fold(campaign_id, stored)
