"""Assignment on 10,000 patients, a redelivered launch, and daily enrolment."""

import json
from collections import Counter
from datetime import timedelta

import pytest

from audience_svc.enrolment import enrol_once
from audience_svc.fanout import Fanout
from audience_svc.projection import Projection
from audience_svc.store import MongoAudienceStore
from reengage_common.events import (
    AppointmentUpdated,
    CampaignStatusChanged,
    Envelope,
    PatientUpserted,
)
from reengage_testing import eventually

from .conftest import NOW, days_ago, patient, visit

pytestmark = pytest.mark.infra
TWO_VARIANTS = [
    {"channel": "EMAIL", "subject": "A", "body": "A", "sequence": 1, "variant": "A"},
    {"channel": "EMAIL", "subject": "B", "body": "B", "sequence": 1, "variant": "B"},
]


async def import_lines(audience, rows: list[dict]) -> None:
    body = "\n".join(json.dumps(row) for row in rows).encode()
    answer = await audience.client.post(
        "/import",
        content=body,
        headers={**audience.headers(), "content-type": "application/x-ndjson"},
    )
    assert answer.json()["imported"] == len(rows), answer.text


async def test_variants_and_holdout_follow_their_weights_on_10000_patients(audience) -> None:
    # given
    await import_lines(
        audience,
        [
            {
                "patientId": f"p-{n:05d}",
                "email": f"p{n}@example.com",
                "createdAt": "2019-01-01T00:00:00Z",
            }
            for n in range(10_000)
        ],
    )
    definition = {
        "channels": ["EMAIL"],
        "messageTemplates": TWO_VARIANTS,
        "variants": [{"name": "A", "weight": 3}, {"name": "B", "weight": 1}],
        "holdoutPercent": 10,
    }
    estimate = await audience.estimate(
        targeting={"inactiveDays": 180}, campaignId="c-ab", **definition
    )

    # when
    await audience.launch("c-ab", **definition)
    evaluated = await audience.evaluated("c-ab")

    # then
    due = await audience.events("message.due", "c-ab")
    held = await audience.events("recipient.held_out", "c-ab")
    variants = Counter(e.data.variant for e in due + held)
    assert evaluated.targeted + evaluated.held_out == 10_000
    assert (evaluated.targeted, evaluated.held_out) == (estimate["targeted"], estimate["heldOut"])
    assert abs(evaluated.held_out / 10_000 - 0.10) <= 0.01
    assert abs(variants["A"] / 10_000 - 0.75) <= 0.02 and abs(variants["B"] / 10_000 - 0.25) <= 0.02
    assert len({e.data.message_id for e in due}) == len(due) == evaluated.targeted
    assert {e.data.patient_id for e in held}.isdisjoint(e.data.patient_id for e in due)


async def test_a_redelivered_launch_publishes_nothing_new(audience) -> None:
    # given a launch whose fan-out completed
    await audience.publish(PatientUpserted, *(patient(f"p-{n}") for n in range(30)))
    await audience.publish(AppointmentUpdated, *(visit(f"p-{n}", days_ago(400)) for n in range(30)))
    await audience.caught_up()
    launched = await audience.launch("c-again")
    await audience.evaluated("c-again")
    first = await audience.events("message.due", "c-again")

    # when the same event arrives again (a redelivery)
    await audience.publisher.publish(
        Envelope.wrap(launched, source="campaign-svc", clinic_id=audience.clinic, at=NOW)
    )
    await audience.caught_up_on("campaign.launched")

    # then the topic holds the very same events, once
    again = await audience.events("message.due", "c-again")
    assert len(first) == 30
    assert sorted(e.id for e in again) == sorted(e.id for e in first)


async def test_daily_enrolment_adds_newly_lapsed_patients_once_while_active(audience) -> None:
    # given an ACTIVE refreshDaily campaign launched today with one lapsed patient
    await audience.publish(PatientUpserted, patient("lapsed"), patient("lapses-tomorrow"))
    await audience.publish(
        AppointmentUpdated,
        visit("lapsed", days_ago(200)),
        visit("lapses-tomorrow", days_ago(179.5)),
    )
    await audience.caught_up()
    await audience.launch("c-daily", refreshDaily=True)
    await audience.evaluated("c-daily")

    # when a day passes
    audience.clock.now = NOW + timedelta(days=1)

    async def enrolled() -> list:
        due = await audience.events("message.due", "c-daily")
        return [e.data.patient_id for e in due]

    await eventually(lambda: _has(enrolled, "lapses-tomorrow"), within=30, interval=0.3)

    # then the newly lapsed patient was enrolled, the first one not again
    assert sorted(await enrolled()) == ["lapsed", "lapses-tomorrow"]
    # and each fan-out's audience.evaluated says whether it is the launch or a day's enrolment
    evaluated: list = []

    async def both_evaluated() -> bool:
        evaluated[:] = [e.data for e in await audience.events("audience.evaluated", "c-daily")]
        return len(evaluated) >= 2

    await eventually(both_evaluated, within=30, interval=0.3)
    launch = [e for e in evaluated if e.enrolment == "LAUNCH"]
    daily = [e for e in evaluated if e.enrolment == "DAILY"]
    assert [(e.run_number, e.targeted, e.day) for e in launch] == [(1, 1, None)]
    assert [(e.run_number, e.targeted) for e in daily] == [(1, 1)]
    assert daily[0].day == (NOW + timedelta(days=1)).date()

    # and once paused, the next day enrols nobody
    await audience.publish(
        CampaignStatusChanged,
        {
            "campaignId": "c-daily",
            "from": "ACTIVE",
            "to": "PAUSED",
            "at": (NOW + timedelta(days=1, hours=1)).isoformat(),
        },
    )
    await audience.publish(PatientUpserted, patient("lapses-later"))
    await audience.publish(AppointmentUpdated, visit("lapses-later", days_ago(179)))
    await audience.caught_up_on("campaign.status_changed")
    await audience.caught_up()
    database = audience.database()
    store = MongoAudienceStore(database)
    fanout = Fanout(
        store,
        Projection(database),
        audience.publisher._producer,
        audience.publisher,
        audience.settings,
    )
    planned = await enrol_once(store, fanout, NOW + timedelta(days=2))
    assert [p for p in planned if p.startswith("c-daily:")] == []
    assert sorted(await enrolled()) == ["lapsed", "lapses-tomorrow"]


async def _has(read, patient_id: str) -> bool:
    return patient_id in await read()
