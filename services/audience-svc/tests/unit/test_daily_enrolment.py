"""Daily enrolment's rules over the in-memory store: who a refreshDaily campaign's day enrols,
that a patient is enrolled once, and that each replica enrols the clinics of its share."""

import zlib
from datetime import UTC, datetime

import pytest
from audience_unit import CLINIC, Unit, audience_unit, days, launched, patient, status_changed

from reengage_common.events import PatientUpserted
from reengage_common.shares import PartitionShare

LAUNCH_DAY = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
PARTITIONS = 24


async def daily_campaign(unit: Unit, campaign_id: str = "c-daily", **changes: object) -> None:
    """Launched today with refreshDaily, to patients lapsed long ago, tomorrow, and not soon."""
    for name, visited in (("lapsed", 200), ("lapses-tomorrow", 179.5), ("recent", 10)):
        await unit.receive(*patient(name, LAUNCH_DAY - days(visited)), at=LAUNCH_DAY)
    changes = {"refreshDaily": True, **changes}
    await unit.receive(launched(campaign_id, LAUNCH_DAY, **changes), at=LAUNCH_DAY)


async def test_a_day_enrols_the_patients_who_lapsed_since_and_counts_the_others() -> None:
    # given
    unit = audience_unit(LAUNCH_DAY)
    await daily_campaign(unit)

    # when a day passes
    planned = await unit.enrol(LAUNCH_DAY + days(1))

    # then
    assert planned == ["c-daily:1:day:2026-11-27"]
    assert unit.due_patients("c-daily") == ["lapsed", "lapses-tomorrow"]
    launch, day = unit.published("audience.evaluated", "c-daily")
    assert (launch.enrolment, launch.targeted, launch.excluded) == (
        "LAUNCH",
        1,
        {"VISITED_RECENTLY": 2},
    )
    assert (day.enrolment, day.run_number, day.day) == ("DAILY", 1, LAUNCH_DAY.date() + days(1))
    assert (day.targeted, day.excluded) == (1, {"ALREADY_ENROLLED": 1, "VISITED_RECENTLY": 1})


async def test_a_patient_is_enrolled_once_whatever_the_rounds_and_days() -> None:
    # given the first day enrolled
    unit = audience_unit(LAUNCH_DAY)
    await daily_campaign(unit)
    await unit.enrol(LAUNCH_DAY + days(1))

    # when the loop looks again that day, and on the following days
    again = await unit.enrol(LAUNCH_DAY + days(1.05))
    later = [await unit.enrol(LAUNCH_DAY + days(n)) for n in (2, 3)]

    # then the same day's plan is found done, and each later day enrols nobody new
    assert again == ["c-daily:1:day:2026-11-27"]
    assert later == [["c-daily:1:day:2026-11-28"], ["c-daily:1:day:2026-11-29"]]
    dues = unit.published("message.due", "c-daily")
    assert len({due.message_id for due in dues}) == len(dues) == 2
    evaluated = unit.published("audience.evaluated", "c-daily")
    assert [e.targeted for e in evaluated] == [1, 1, 0, 0]


async def test_the_launch_day_is_left_to_the_launch() -> None:
    unit = audience_unit(LAUNCH_DAY)
    await daily_campaign(unit)

    assert await unit.enrol(LAUNCH_DAY + days(0.3)) == []
    assert unit.due_patients("c-daily") == ["lapsed"]


async def test_only_a_refresh_daily_campaign_is_enrolled_again() -> None:
    unit = audience_unit(LAUNCH_DAY)
    await daily_campaign(unit, refreshDaily=False)

    assert await unit.enrol(LAUNCH_DAY + days(1)) == []
    assert unit.due_patients("c-daily") == ["lapsed"]


async def test_a_paused_campaign_enrols_nobody_until_it_is_active_again() -> None:
    # given a campaign paused after its launch
    unit = audience_unit(LAUNCH_DAY)
    await daily_campaign(unit)
    paused = status_changed("c-daily", "PAUSED", LAUNCH_DAY + days(0.5))
    await unit.receive(paused, at=LAUNCH_DAY)

    # when a day passes, and it is resumed the day after
    while_paused = await unit.enrol(LAUNCH_DAY + days(1))
    resumed = status_changed("c-daily", "ACTIVE", LAUNCH_DAY + days(1.5))
    await unit.receive(resumed, at=LAUNCH_DAY)
    once_resumed = await unit.enrol(LAUNCH_DAY + days(2))

    # then
    assert while_paused == []
    assert once_resumed == ["c-daily:1:day:2026-11-28"]
    assert unit.due_patients("c-daily") == ["lapsed", "lapses-tomorrow"]


async def test_a_later_run_is_the_one_enrolled() -> None:
    # given run 2 of the campaign, launched the day after run 1
    unit = audience_unit(LAUNCH_DAY)
    await daily_campaign(unit)
    second = launched("c-daily", LAUNCH_DAY + days(1), refreshDaily=True, runNumber=2)
    await unit.receive(second, at=LAUNCH_DAY + days(1))

    # when
    planned = await unit.enrol(LAUNCH_DAY + days(2))

    # then
    assert planned == ["c-daily:2:day:2026-11-28"]


async def test_a_day_cut_short_is_resumed_without_a_second_message() -> None:
    # given a day's fan-out whose publishing failed after its plan was stored
    unit = audience_unit(LAUNCH_DAY)
    await daily_campaign(unit)
    await unit.receive(*patient("lapses-too", LAUNCH_DAY - days(179.2)), at=LAUNCH_DAY)
    unit.producer.refusing = True
    with pytest.raises(ConnectionError):
        await unit.enrol(LAUNCH_DAY + days(1))
    (cut_short,) = await unit.store.unfinished_plans()

    # when the loop comes round again
    unit.producer.refusing = False
    await unit.enrol(LAUNCH_DAY + days(1.05))

    # then the stored plan was published, once
    assert cut_short["_id"] == "c-daily:1:day:2026-11-27"
    assert await unit.store.unfinished_plans() == []
    assert unit.due_patients("c-daily") == ["lapsed", "lapses-tomorrow", "lapses-too"]


async def test_each_replica_enrols_the_clinics_of_its_partition_share() -> None:
    # given a refreshDaily campaign in each of two clinics
    clinics = ["clinic-a", "clinic-b"]
    assert len({partition_of(clinic) for clinic in clinics}) == 2
    unit = audience_unit(LAUNCH_DAY)
    for clinic in clinics:
        events = patient(f"{clinic}-late", LAUNCH_DAY - days(179.5))
        await unit.receive(*events, at=LAUNCH_DAY, clinic_id=clinic)
        campaign = launched(f"c-{clinic}", LAUNCH_DAY, refreshDaily=True)
        await unit.receive(campaign, at=LAUNCH_DAY, clinic_id=clinic)

    # when a day passes at a replica owning clinic-a's partition, then at clinic-b's owner
    first = await unit.enrol(LAUNCH_DAY + days(1), owning("clinic-a"))
    second = await unit.enrol(LAUNCH_DAY + days(1), owning("clinic-b"))

    # then each enrolled its own clinic's patients
    assert first == ["c-clinic-a:1:day:2026-11-27"]
    assert unit.due_patients("c-clinic-a") == ["clinic-a-late"]
    assert second == ["c-clinic-b:1:day:2026-11-27"]
    assert unit.due_patients("c-clinic-b") == ["clinic-b-late"]


async def test_a_replica_in_a_rebalance_enrols_nobody() -> None:
    unit = audience_unit(LAUNCH_DAY)
    await daily_campaign(unit)
    share = owning(CLINIC)
    share.revoked(frozenset({(PatientUpserted.topic, partition_of(CLINIC))}))

    assert await unit.enrol(LAUNCH_DAY + days(1), share) == []
    assert unit.due_patients("c-daily") == ["lapsed"]


def partition_of(clinic_id: str) -> int:
    return zlib.crc32(clinic_id.encode()) % PARTITIONS


def owning(clinic_id: str) -> PartitionShare:
    """A replica's share once its consumer was given the clinic's partition."""
    share = PartitionShare(PatientUpserted.topic, PARTITIONS)
    share.assigned(frozenset({(PatientUpserted.topic, partition_of(clinic_id))}))
    return share
