"""A realistic synthetic clinic, published through the same events a practice system sends.

    ./dev seed --clinic clinic-demo --patients 2000 [--seed 7] [--today 2026-11-26]

Deterministic: the same clinic, patient count, seed and day give the same events with the same
envelope ids. Patients have names, US time zones, mixed consents and contacts, guardians for
minors, treatment stages (dropouts among those in treatment), a visit history of up to four
past appointments over years (some no-shows), and some a booked appointment ahead.
"""

import argparse
import asyncio
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from reengage_common.bus import EventPublisher, ensure_topics, make_producer
from reengage_common.events import AppointmentUpdated, Envelope, Event, PatientUpserted
from reengage_common.settings import load_settings

SEED_NAMESPACE = uuid.UUID("8e0d5c1a-2b7f-4c3e-9d14-6a5b3c2e1f07")
FIRST = [
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Ava",
    "Elijah",
    "Sophia",
    "James",
    "Isabella",
    "William",
    "Mia",
    "Benjamin",
    "Charlotte",
    "Lucas",
    "Amelia",
    "Henry",
    "Harper",
    "Theodore",
    "Evelyn",
    "Jack",
    "Abigail",
    "Levi",
    "Emily",
    "Alexander",
    "Ella",
    "Jackson",
    "Camila",
    "Mateo",
    "Luna",
    "Daniel",
    "Sofia",
    "Michael",
    "Avery",
    "Mason",
    "Mila",
    "Sebastian",
    "Aria",
    "Ethan",
    "Scarlett",
    "Logan",
    "Penelope",
    "Owen",
    "Layla",
    "Samuel",
    "Chloe",
    "Jacob",
    "Victoria",
    "Asher",
    "Madison",
    "Aiden",
    "Eleanor",
    "John",
    "Grace",
    "Joseph",
    "Nora",
]
LAST = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Patel",
    "Kim",
]
STREETS = [
    "Main",
    "Oak",
    "Maple",
    "Cedar",
    "Elm",
    "Pine",
    "Lake",
    "Hill",
    "Park",
    "Washington",
    "Lincoln",
    "Sunset",
]
# (time zone, share, cities with state and postal code)
ZONES = [
    ("America/New_York", 0.38, [("Boston", "MA", "02108"), ("Atlanta", "GA", "30303")]),
    ("America/Chicago", 0.30, [("Springfield", "IL", "62701"), ("Austin", "TX", "78701")]),
    ("America/Denver", 0.08, [("Denver", "CO", "80202")]),
    ("America/Phoenix", 0.05, [("Phoenix", "AZ", "85004")]),
    ("America/Los_Angeles", 0.17, [("Portland", "OR", "97204"), ("San Diego", "CA", "92101")]),
    ("America/Anchorage", 0.01, [("Anchorage", "AK", "99501")]),
    ("Pacific/Honolulu", 0.01, [("Honolulu", "HI", "96813")]),
]
STAGES = [
    ("HYGIENE_RECALL", 0.40),
    ("RETENTION", 0.15),
    ("ACTIVE_TREATMENT", 0.15),
    ("TREATMENT_PLANNED", 0.10),
    ("CONSULTATION", 0.07),
    ("NEW_PATIENT", 0.05),
    ("COMPLETED", 0.08),
]
VISIT_VALUES = [9500, 12000, 18000, 25000, 45000, 120000]


def _pick(chance: random.Random, weighted: list[tuple[Any, float]]) -> Any:
    return chance.choices([w[0] for w in weighted], [w[1] for w in weighted])[0]


def _consent(chance: random.Random, yes: float, unset: float) -> bool | None:
    roll = chance.random()
    return True if roll < yes else None if roll < yes + unset else False


def _at(moment: datetime) -> str:
    return moment.isoformat()


def clinic_events(
    clinic: str, patients: int, seed: int, today: date, zone: str | None = None
) -> Iterator[Envelope[Any]]:
    """Every patient's events, in each patient's own time order; every patient in `zone` when
    one is given (a benchmark sends at once only where it is day for every patient)."""
    now = datetime(today.year, today.month, today.day, 12, tzinfo=UTC)
    for n in range(patients):
        chance = random.Random(f"{clinic}/{seed}/{n}")
        yield from _patient_events(clinic, seed, n, chance, now, zone)


def _envelope(clinic: str, seed: int, data: Event, key: str, at: datetime) -> Envelope[Any]:
    envelope = Envelope.wrap(data, source="seed-pms", clinic_id=clinic, at=at)
    envelope.id = str(uuid.uuid5(SEED_NAMESPACE, f"{clinic}/{seed}/{key}"))
    envelope.trace_id = None
    return envelope


def _patient_events(
    clinic: str, seed: int, n: int, chance: random.Random, now: datetime, zone: str | None
) -> Iterator[Envelope[Any]]:
    patient_id = f"{clinic}-p{n:06d}"
    first, last = chance.choice(FIRST), chance.choice(LAST)
    home, _, cities = ZONES[chance.choices(range(len(ZONES)), [z[1] for z in ZONES])[0]]
    zone = zone or home
    city, state, postal = chance.choice(cities)
    minor = chance.random() < 0.22
    age = chance.randint(7, 17) if minor else chance.randint(18, 84)
    born = (now - timedelta(days=365 * age + chance.randint(0, 364))).date()
    created = now - timedelta(days=chance.randint(60, 3650))
    stage = _pick(chance, STAGES)
    status = "COMPLETED" if stage == "COMPLETED" else "ACTIVE"
    if stage in ("ACTIVE_TREATMENT", "TREATMENT_PLANNED") and chance.random() < 0.25:
        status = "DISCONTINUED"
    handle = f"{first}.{last}{n}".lower()
    guardian = None
    if minor:
        parent = chance.choice(FIRST)
        guardian = {
            "name": f"{parent} {last}",
            "email": f"{parent}.{last}{n}@example.com".lower() if chance.random() < 0.9 else None,
            "phone": f"+1555{chance.randint(2000000, 9999999)}" if chance.random() < 0.85 else None,
        }
    profile = PatientUpserted.model_validate(
        {
            "patientId": patient_id,
            "firstName": first,
            "lastName": last,
            "email": f"{handle}@example.com" if chance.random() < 0.9 else None,
            "phone": f"+1555{chance.randint(2000000, 9999999)}" if chance.random() < 0.85 else None,
            "address": {
                "line1": f"{chance.randint(1, 9999)} {chance.choice(STREETS)} St",
                "city": city,
                "state": state,
                "postalCode": postal,
                "country": "US",
            }
            if chance.random() < 0.95
            else None,
            "timezone": zone,
            "birthDate": born.isoformat(),
            "guardian": guardian,
            "preferredLanguage": "es" if chance.random() < 0.12 else "en",
            # One patient in eight is on periodontal maintenance, recalled every 3 months as
            # their practice system says; the others take their treatment stage's interval.
            # (From the index, not the random stream, so every other field stays as it was.)
            "recallIntervalMonths": 3 if n % 8 == 0 else None,
            "consents": {
                "email": _consent(chance, 0.85, 0.10),
                "sms": _consent(chance, 0.60, 0.30),
                "mail": _consent(chance, 0.70, 0.25),
            },
            "treatmentStage": stage,
            "treatmentStatus": status,
            "doNotContact": chance.random() < 0.02,
            "deceased": chance.random() < 0.005,
            "createdAt": _at(created),
        }
    )
    yield _envelope(clinic, seed, profile, f"{patient_id}/profile", created)
    # Visits every ~6 months from the first one until the patient lapsed (or not: recent ones).
    lapsed_at = now - timedelta(days=int(chance.expovariate(1 / 240)))
    visit = created + timedelta(days=chance.randint(0, 30))
    visits: list[datetime] = []
    while visit < min(lapsed_at, now - timedelta(days=1)):
        visits.append(visit.replace(minute=0, second=0, microsecond=0))
        visit += timedelta(days=chance.randint(150, 220))
    for k, moment in enumerate(visits[-4:]):
        outcome = "NO_SHOW" if chance.random() < 0.07 else "COMPLETED"
        appointment = AppointmentUpdated.model_validate(
            {
                "appointmentId": f"{patient_id}-a{k}",
                "patientId": patient_id,
                "status": outcome,
                "scheduledAt": _at(moment),
                "valueCents": chance.choice(VISIT_VALUES),
            }
        )
        yield _envelope(
            clinic, seed, appointment, f"{patient_id}/a{k}", moment + timedelta(hours=1)
        )
    if chance.random() < 0.18:
        ahead = (now + timedelta(days=chance.randint(1, 90))).replace(minute=0, second=0)
        booked = AppointmentUpdated.model_validate(
            {
                "appointmentId": f"{patient_id}-next",
                "patientId": patient_id,
                "status": "BOOKED",
                "scheduledAt": _at(ahead),
                "valueCents": chance.choice(VISIT_VALUES),
            }
        )
        yield _envelope(clinic, seed, booked, f"{patient_id}/next", now - timedelta(days=1))


async def publish_clinic(
    clinic: str, patients: int, seed: int, today: date, zone: str | None = None
) -> int:
    """Publish the clinic's events in Kafka batches; returns how many were published."""
    settings = load_settings("seed")
    await ensure_topics(settings)
    producer = make_producer(settings)
    await producer.start()
    published = 0
    try:
        publisher = EventPublisher(settings, producer)
        batch: list[Envelope[Any]] = []
        for envelope in clinic_events(clinic, patients, seed, today, zone):
            batch.append(envelope)
            if len(batch) >= 5000:
                await publisher.publish_many(batch)
                published += len(batch)
                batch = []
        await publisher.publish_many(batch)
        published += len(batch)
    finally:
        await producer.stop()
    return published


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clinic", default="clinic-demo")
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--today", type=date.fromisoformat, default=datetime.now(UTC).date())
    args = parser.parse_args()
    published = asyncio.run(publish_clinic(args.clinic, args.patients, args.seed, args.today))
    print(f"clinic {args.clinic}: {args.patients} patients, {published} events published")


if __name__ == "__main__":
    main()
