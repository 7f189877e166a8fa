"""Two audience-svc replicas as real processes (one consumer group, four partitions a topic)
ingest four clinics' patients from `patient.upserted`, `appointment.updated` and
`recipient.responded`; one is SIGKILLed once a quarter of the events are consumed (while both
fold their clinics' projections), the other takes its partitions and its clinics, more events
come, the killed one is started again. Each clinic's estimate equals what the test computes
from the patients it published, before and after every fact is folded; then a launch in each
clinic fans out one message.due to exactly each patient the estimate counted."""

import random
import time
import uuid
import zlib
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from audience_svc.config import AudienceSettings
from reengage_common.auth import generate_signing_key, issue_token
from reengage_common.bus import EventPublisher, make_producer
from reengage_common.events import (
    AppointmentUpdated,
    CampaignLaunched,
    Envelope,
    Event,
    PatientUpserted,
    RecipientResponded,
    ResponseKind,
)
from reengage_testing import (
    ServiceProcess,
    committed_offsets,
    eventually,
    read_to_end,
    running,
    through_a_sigkill,
)

pytestmark = pytest.mark.infra

KEY = generate_signing_key()
PARTITIONS = 4  # of every topic: two of each for each replica
PATIENTS = 1500  # per clinic
# What the estimate and the launches ask: lapsed 180 days, no no-shows, no dropouts.
CAMPAIGN: dict[str, Any] = {
    "targeting": {"inactiveDays": 180, "includeNoShows": False, "includeDropouts": False},
    "channels": ["EMAIL", "SMS"],
    "messageTemplates": [
        {"channel": "EMAIL", "subject": "Hi", "body": "b", "sequence": 1},
        {"channel": "SMS", "body": "b", "sequence": 2},
    ],
}


@dataclass(frozen=True)
class Patient:
    """What the test decided about one patient, and so what a launch must do with them."""

    patient_id: str
    deceased: bool
    do_not_contact: bool  # told by a second patient.upserted
    unsubscribed: bool  # told by recipient.responded
    visited: str  # "lapsed" (400 days ago), "recent" (60) or "never" (created in 2019)
    no_show: bool  # a no-show after the last visit
    booked: bool  # a booking ahead
    cancelled: bool  # ... then cancelled
    dropout: bool
    email: bool  # an address with consent (a second upsert may refuse the consent)
    sms: bool

    def outcome(self) -> str:
        """Where the rules put the patient: an exclusion reason (the first that applies,
        in the rules' order), or the channel of the first message."""
        for reason, applies in (
            ("DECEASED", self.deceased),
            ("DO_NOT_CONTACT", self.do_not_contact),
            ("UNSUBSCRIBED", self.unsubscribed),
            ("VISITED_RECENTLY", self.visited == "recent"),
            ("UPCOMING_APPOINTMENT", self.booked and not self.cancelled),
            ("NO_SHOW", self.no_show and self.visited != "recent"),
            ("DROPOUT", self.dropout),
        ):
            if applies:
                return reason
        return "EMAIL" if self.email else "SMS" if self.sms else "NO_REACHABLE_CHANNEL"


def patient(clinic: str, n: int) -> Patient:
    chance = random.Random(f"{clinic}/{n}")
    booked = chance.random() < 0.15
    return Patient(
        patient_id=f"{clinic}-p{n:05d}",
        deceased=chance.random() < 0.02,
        do_not_contact=chance.random() < 0.05,
        unsubscribed=chance.random() < 0.04,
        visited=chance.choices(["lapsed", "recent", "never"], [55, 30, 15])[0],
        no_show=chance.random() < 0.08,
        booked=booked,
        cancelled=booked and chance.random() < 0.4,
        dropout=chance.random() < 0.05,
        email=chance.random() < 0.8,
        sms=chance.random() < 0.5,
    )


def events_of(p: Patient, now: datetime) -> list[tuple[Event, datetime]]:
    """The patient's events with the moments they happened, in that order. The facts that
    decide (a second upsert, a cancellation) come last, so a lost one changes the count."""
    profile: dict[str, Any] = {
        "patientId": p.patient_id,
        "firstName": "Ada",
        "lastName": "Lovelace",
        "email": f"{p.patient_id}@example.com",
        # a number of their own: patients sharing one get one household message (not tested here)
        "phone": f"+1555{zlib.crc32(p.patient_id.encode()) % 10**7:07d}" if p.sms else None,
        "consents": {"email": True, "sms": p.sms, "mail": True},
        "treatmentStatus": "DISCONTINUED" if p.dropout else "ACTIVE",
        "deceased": p.deceased,
        "createdAt": "2019-03-01T10:00:00Z",
    }
    at = now - timedelta(days=500)
    # the first upsert: reachable by email, allowed to be contacted
    happened: list[tuple[Event, datetime]] = [
        (PatientUpserted.model_validate({**profile, "doNotContact": False}), at)
    ]

    def appointment(name: str, status: str, days: float, when: datetime) -> None:
        visit = {
            "appointmentId": f"{p.patient_id}-{name}",
            "patientId": p.patient_id,
            "status": status,
            "scheduledAt": (now + timedelta(days=days)).isoformat(),
        }
        happened.append((AppointmentUpdated.model_validate(visit), when))

    if p.visited != "never":
        days = -400 if p.visited == "lapsed" else -60
        appointment("visit", "COMPLETED", days, now + timedelta(days=days, hours=1))
    if p.no_show:
        appointment("missed", "NO_SHOW", -300, now - timedelta(days=300))
    if p.booked:
        appointment("next", "BOOKED", 10, now - timedelta(days=2))
    if p.cancelled:
        appointment("next", "CANCELLED", 10, now - timedelta(days=1))
    if p.unsubscribed:
        unsubscribed = RecipientResponded(
            campaign_id="c-earlier",
            patient_id=p.patient_id,
            kind=ResponseKind.UNSUBSCRIBED,
            at=now - timedelta(days=90),
        )
        happened.append((unsubscribed, now - timedelta(days=90)))
    if p.do_not_contact or not p.email:
        consents = {**profile["consents"], "email": p.email}
        second = {**profile, "doNotContact": p.do_not_contact, "consents": consents}
        happened.append((PatientUpserted.model_validate(second), now - timedelta(hours=1)))
    return happened


def one_per_partition(prefix: str) -> list[str]:
    """Clinic ids whose compaction falls to each partition of `patient.upserted` once
    (`reengage_common.shares`), so each replica folds some clinics."""
    by_partition: dict[int, str] = {}
    for n in range(1000):
        candidate = f"clinic-{prefix}-{n}"
        by_partition.setdefault(zlib.crc32(candidate.encode()) % PARTITIONS, candidate)
        if len(by_partition) == PARTITIONS:
            break
    return [by_partition[p] for p in sorted(by_partition)]


def expected_estimate(patients: list[Patient]) -> dict[str, Any]:
    outcomes = Counter(p.outcome() for p in patients)
    channels = {c: outcomes.pop(c) for c in ("EMAIL", "SMS") if c in outcomes}
    total = sum(channels.values())
    return {
        "patients": len(patients),
        "total": total,
        "targeted": total,
        "heldOut": 0,
        "excluded": dict(outcomes),
        "byChannel": channels,
    }


async def test_two_replicas_estimate_and_launch_exactly_through_a_sigkill_and_a_restart(
    infra, settings_for, tmp_path: Path
) -> None:
    own = uuid.uuid4().hex[:6]
    prefix = f"{infra.kafka_topic_prefix}aud-replicas-{own}."
    databases = f"{infra.mongo_db_prefix}aud_{own}_"
    settings = settings_for(
        "audience-svc",
        AudienceSettings,
        kafka_topic_prefix=prefix,
        kafka_partitions=PARTITIONS,
        mongo_db_prefix=databases,
    )
    now = datetime.now(UTC).replace(microsecond=0)
    clinics = {c: [patient(c, n) for n in range(PATIENTS)] for c in one_per_partition(own)}
    # patient by patient, the clinics interleaved, each patient's events in their order
    envelopes = [
        Envelope.wrap(event, source="pms", clinic_id=clinic, at=at)
        for n in range(PATIENTS)
        for clinic, patients in clinics.items()
        for event, at in events_of(patients[n], now)
    ]
    total = len(envelopes)
    phases = (
        envelopes[: total // 2],
        envelopes[total // 2 : total * 4 // 5],
        envelopes[total * 4 // 5 :],
    )

    env = {
        "KAFKA_TOPIC_PREFIX": prefix,
        "KAFKA_PARTITIONS": str(PARTITIONS),
        "MONGO_DB_PREFIX": databases,
        "JWT_PUBLIC_KEY": KEY.public_pem,
        "LOG_LEVEL": "WARNING",
        # compaction rounds all along, so the SIGKILL may fall in one
        "COMPACT_INTERVAL_SECONDS": "0.2",
        "ESTIMATE_FRESH_SECONDS": "0",
        "ESTIMATE_STALE_SECONDS": "0",
        "FANOUT_CHUNK_SIZE": "200",
        # small batches: the group commits in small steps, so the kill falls near a quarter
        "CONSUMER_BATCH_SIZE": "100",
    }
    replicas = [
        ServiceProcess("audience_svc", env, str(tmp_path / f"audience-{n}.log")) for n in range(2)
    ]
    producer = make_producer(settings)
    await producer.start()
    publisher = EventPublisher(settings, producer)
    started = time.monotonic()
    try:
        async with (
            running(replicas),
            committed_offsets(settings, settings.group_id()) as committed,
        ):
            ready = time.monotonic()

            run = await through_a_sigkill(
                publisher, replicas, committed, phases, lambda: _count(settings, "shard_heads")
            )
            assert all(run.shares), f"each replica consumed a share before the kill: {run.shares}"

            expected = {c: expected_estimate(patients) for c, patients in clinics.items()}
            pending = await _count(settings, "pending_facts")
            unfolded = {c: await _estimate(replicas[1], c) for c in clinics}
            await eventually(lambda: _none_left(settings, "pending_facts"), within=60)
            folded = time.monotonic()
            estimates = {c: await _estimate(replicas[n % 2], c) for n, c in enumerate(clinics)}

            # a launch in each clinic, fanned out by whichever replica owns its partition
            launches = {clinic: f"c-{clinic}" for clinic in clinics}
            await publisher.publish_many(
                Envelope.wrap(_launched(c, now), source="campaign-svc", clinic_id=clinic)
                for clinic, c in launches.items()
            )

            async def all_evaluated() -> bool:
                found = await read_to_end(settings, settings.topic("audience.evaluated"))
                return len(found) >= len(launches)

            await eventually(all_evaluated, within=60, interval=0.5)
            due = await read_to_end(settings, settings.topic("message.due"))
            launched = time.monotonic()
    finally:
        await producer.stop()

    print(
        f"\n{len(clinics)} clinics, {len(clinics) * PATIENTS} patients, {total} events; "
        f"started in {ready - started:.1f}s; killed after {run.killed - ready:.1f}s at {run.killed_at} "
        f"consumed (shares {run.shares}, {run.at_kill} shard heads); survivor took over in "
        f"{run.taken_over - run.killed:.1f}s; all consumed {run.consumed_all - run.taken_over:.1f}s later "
        f"(shares after the restart {run.after_restart}; {pending} pending records then); all "
        f"folded {folded - run.consumed_all:.1f}s later; launches fanned out in "
        f"{launched - folded:.1f}s ({len(due)} message.due)"
    )
    assert total // 4 <= run.killed_at < len(phases[0]), "killed mid-stream"
    assert run.after_restart[0] > 0, "the restarted replica took a share"
    for clinic, patients in clinics.items():
        assert _counts(unfolded[clinic]) == expected[clinic], f"{clinic} as soon as consumed"
        assert _counts(estimates[clinic]) == expected[clinic], f"{clinic} once folded"
        targeted = {p.patient_id for p in patients if p.outcome() in ("EMAIL", "SMS")}
        messages = [e.data for e in due if e.data.campaign_id == launches[clinic]]
        assert len(messages) == estimates[clinic]["targeted"], f"{clinic}: one message each"
        assert not any(m.household for m in messages), "each patient has a contact of their own"
        assert {m.patient_id for m in messages} == targeted
        assert Counter(m.channel.value for m in messages) == expected[clinic]["byChannel"]


def _counts(answer: dict[str, Any]) -> dict[str, Any]:
    wanted = ("patients", "total", "targeted", "heldOut", "excluded", "byChannel")
    counts = {name: answer[name] for name in wanted}
    counts["byChannel"] = {c: n for c, n in counts["byChannel"].items() if n}
    return counts


def _launched(campaign_id: str, now: datetime) -> CampaignLaunched:
    return CampaignLaunched.model_validate(
        {
            **CAMPAIGN,
            "campaignId": campaign_id,
            "name": "Replicas",
            "variants": [{"name": "A", "weight": 1}],
            "schedule": {"startDate": now.isoformat(), "sendTimes": ["10:00"], "timezone": "UTC"},
            "launchedAt": datetime.now(UTC).isoformat(),
        }
    )


async def _estimate(replica: ServiceProcess, clinic: str) -> dict[str, Any]:
    token = issue_token(KEY, user_id="u-1", clinic_id=clinic, role="clinic_admin")
    async with httpx.AsyncClient(base_url=replica.url, timeout=30) as client:
        answer = await client.post(
            "/estimate", json=CAMPAIGN, headers={"authorization": f"Bearer {token}"}
        )
    assert answer.status_code == 200, answer.text
    return answer.json()


async def _count(settings: AudienceSettings, collection: str) -> int:
    mongo: AsyncMongoClient = AsyncMongoClient(settings.mongo_url)
    try:
        return await mongo[settings.database_name][collection].count_documents({})
    finally:
        await mongo.close()


async def _none_left(settings: AudienceSettings, collection: str) -> bool:
    return await _count(settings, collection) == 0
