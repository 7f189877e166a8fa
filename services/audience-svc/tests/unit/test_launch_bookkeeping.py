"""The launch handler's bookkeeping over the in-memory store: the run it keeps, the plan it
stores, publishes and finishes, the turn and marks it leaves behind, the facts it records, and
what a redelivered or interrupted launch does."""

from datetime import UTC, datetime

import pytest
from audience_unit import CLINIC, audience_unit, days, launched, patient, status_changed

from audience_svc.domain.facts import R_ID, R_TARGETED
from audience_svc.enrolment import current_status

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)


async def test_a_launch_keeps_its_run_and_a_finished_plan_of_its_counts() -> None:
    # given
    unit = audience_unit(NOW, fanout_chunk_size=2)
    for n in range(5):
        await unit.receive(*patient(f"p-{n}", NOW - days(300)), at=NOW)
    await unit.receive(*patient("seen-lately", NOW - days(20)), at=NOW)

    # when
    await unit.receive(launched("c-1", NOW, refreshDaily=True), at=NOW)

    # then the run is kept as daily enrolment and fallbacks read it
    run = await unit.store.run("c-1:1")
    assert run is not None
    assert (run["clinic_id"], run["refresh_daily"], run["launched_at"]) == (CLINIC, True, NOW)
    assert run["launched"]["campaignId"] == "c-1"
    # and the plan is finished, its counts those audience.evaluated says
    plan = await unit.store.plan("c-1:1")
    assert plan is not None
    assert (plan["kind"], plan["chunks"], plan["finished"]) == ("LAUNCH", 3, True)
    assert (plan["targeted"], plan["held_out"], plan["excluded"]) == (5, 0, {"VISITED_RECENTLY": 1})
    (evaluated,) = unit.published("audience.evaluated", "c-1")
    assert (evaluated.targeted, evaluated.enrolment) == (5, "LAUNCH")
    # and every chunk is marked published, each patient's step 1 due once
    chunks = await unit.store.chunks_of("c-1:1")
    assert await unit.store.published_chunks("c-1:1") == {chunk["_id"] for chunk in chunks}
    assert unit.due_patients("c-1") == [f"p-{n}" for n in range(5)]


async def test_a_launch_records_who_it_targeted_and_leaves_no_turn_or_mark_behind() -> None:
    # given
    unit = audience_unit(NOW)
    await unit.receive(*patient("p-1", NOW - days(300)), at=NOW)

    # when
    await unit.receive(launched("c-1", NOW), at=NOW)

    # then the projection knows the patient was targeted by the campaign at the launch
    (row,) = await unit.projection.rows(CLINIC)
    assert (row[R_ID], row[R_TARGETED]) == ("p-1", {"c-1": NOW.timestamp()})
    # and the clinic's turn is free again and no plan is marked in flight
    assert unit.store.marks == {}
    ((_, expires_at),) = unit.store.turns.values()
    assert expires_at <= datetime.now(UTC)


async def test_a_second_campaign_within_30_days_leaves_the_first_ones_patients_out() -> None:
    # given a launch that targeted p-1
    unit = audience_unit(NOW)
    await unit.receive(*patient("p-1", NOW - days(300)), at=NOW)
    await unit.receive(launched("c-1", NOW), at=NOW)

    # when another campaign of the clinic launches a week later
    await unit.receive(launched("c-2", NOW + days(7)), at=NOW + days(7))

    # then
    (evaluated,) = unit.published("audience.evaluated", "c-2")
    assert (evaluated.targeted, evaluated.excluded) == (0, {"TARGETED_BY_OTHER_CAMPAIGN": 1})
    assert unit.due_patients("c-2") == []


async def test_a_redelivered_launch_stores_and_publishes_nothing_new() -> None:
    # given a launch whose fan-out completed
    unit = audience_unit(NOW)
    for n in range(3):
        await unit.receive(*patient(f"p-{n}", NOW - days(300)), at=NOW)
    campaign = launched("c-1", NOW)
    await unit.receive(campaign, at=NOW)
    first = list(unit.producer.published)

    # when the same event is delivered again
    await unit.receive(campaign, at=NOW)

    # then
    assert unit.producer.published == first
    assert list(unit.store.runs) == ["c-1:1"]
    assert list(unit.store.plans) == ["c-1:1"]


async def test_a_launch_cut_short_resumes_its_plan_with_the_same_messages() -> None:
    # given a launch whose publishing failed after its plan was stored
    unit = audience_unit(NOW, fanout_chunk_size=2)
    for n in range(5):
        await unit.receive(*patient(f"p-{n}", NOW - days(300)), at=NOW)
    campaign = launched("c-1", NOW)
    unit.producer.refusing = True
    with pytest.raises(ConnectionError):
        await unit.receive(campaign, at=NOW)
    stored = await unit.store.plan("c-1:1")

    # when the consumer retries the event
    unit.producer.refusing = False
    await unit.receive(campaign, at=NOW)

    # then the plan chosen the first time was published, once, and finished
    assert stored is not None and stored["finished"] is False
    assert unit.due_patients("c-1") == [f"p-{n}" for n in range(5)]
    assert len(unit.published("audience.evaluated", "c-1")) == 1
    assert (await unit.store.plan("c-1:1") or {})["finished"] is True


async def test_status_changes_are_kept_once_and_the_latest_by_its_own_time_counts() -> None:
    # given
    unit = audience_unit(NOW)
    paused = status_changed("c-1", "PAUSED", NOW + days(2))
    resumed = status_changed("c-1", "ACTIVE", NOW + days(1))

    # when the pause arrives twice, and an earlier resumption after it
    await unit.receive(paused, paused, resumed, at=NOW)

    # then
    changes = await unit.store.status_changes("c-1")
    assert sorted(change["to"] for change in changes) == ["ACTIVE", "PAUSED"]
    assert current_status(NOW, changes) == "PAUSED"
