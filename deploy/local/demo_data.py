"""Demo data for `./dev up`: a realistic small clinic ("clinic-demo") and three campaigns.

Patients and their visits arrive the way a clinic's practice-management system sends them:
as `patient.upserted` and `appointment.updated` events on Kafka. Campaigns are created through
the gateway's REST API with a development token. Running it twice changes nothing.
"""

import asyncio
import random
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from reengage_common.auth import development_signing_key, issue_token
from reengage_common.bus import EventPublisher, ensure_topics, make_producer
from reengage_common.events import Address, AppointmentUpdated, Consents, Envelope, PatientUpserted
from reengage_common.settings import load_settings

CLINIC = "clinic-demo"
GATEWAY = "http://127.0.0.1:8000"
FIRST_NAMES = [
    "Ada",
    "Grace",
    "Alan",
    "Katherine",
    "Linus",
    "Margaret",
    "Dennis",
    "Barbara",
    "Ken",
    "Frances",
    "Edsger",
    "Radia",
    "Tim",
    "Hedy",
    "John",
    "Mary",
    "Donald",
    "Shafi",
    "Leslie",
    "Sophie",
]
LAST_NAMES = [
    "Lovelace",
    "Hopper",
    "Turing",
    "Johnson",
    "Torvalds",
    "Hamilton",
    "Ritchie",
    "Liskov",
    "Thompson",
    "Allen",
    "Dijkstra",
    "Perlman",
    "Berners-Lee",
    "Lamarr",
    "Backus",
    "Keller",
    "Knuth",
    "Goldwasser",
    "Lamport",
    "Wilson",
]
STAGES = [
    "HYGIENE_RECALL",
    "HYGIENE_RECALL",
    "RETENTION",
    "ACTIVE_TREATMENT",
    "CONSULTATION",
    "TREATMENT_PLANNED",
]
ZONES = ["America/Chicago", "America/New_York", "America/Denver", "America/Los_Angeles"]


def demo_patients(now: datetime) -> list[tuple[PatientUpserted, AppointmentUpdated]]:
    """Forty patients, seeded so every run produces the same clinic."""
    chance = random.Random(20261126)
    patients = []
    for n in range(40):
        first, last = FIRST_NAMES[n % 20], LAST_NAMES[(n * 7) % 20]
        patient_id = f"p-{1001 + n}"
        stage = chance.choice(STAGES)
        patient = PatientUpserted(
            patient_id=patient_id,
            first_name=first,
            last_name=last,
            email=f"{first.lower()}.{last.lower()}@example.com",
            phone=f"+1555{1230000 + n:07d}",
            address=Address(
                line1=f"{10 + n} Main St",
                city="Springfield",
                state="IL",
                postal_code="62701",
                country="US",
            ),
            timezone=chance.choice(ZONES),
            consents=Consents(email=True, sms=chance.random() < 0.7, mail=True),
            treatment_stage=stage,
            treatment_status="DISCONTINUED"
            if stage == "ACTIVE_TREATMENT" and chance.random() < 0.4
            else "ACTIVE",
            do_not_contact=n % 17 == 0,
            created_at=now - timedelta(days=chance.randint(400, 3000)),
        )
        last_visit = now - timedelta(days=chance.randint(60, 700), hours=chance.randint(0, 8))
        visit = AppointmentUpdated(
            appointment_id=f"a-{5001 + n}",
            patient_id=patient_id,
            status="NO_SHOW" if n % 9 == 0 else "COMPLETED",
            scheduled_at=last_visit.replace(minute=0, second=0, microsecond=0),
            value_cents=chance.choice([12000, 18000, 25000, 45000]),
        )
        patients.append((patient, visit))
    return patients


def demo_campaigns(now: datetime) -> list[tuple[dict[str, Any], str | None]]:
    """(campaign, action to take after creating it)."""
    recall = {
        "name": "6-month hygiene recall",
        "description": "Patients overdue for their cleaning",
        "targeting": {
            "inactiveDays": 180,
            "treatmentStages": ["HYGIENE_RECALL", "RETENTION"],
            "includeNoShows": True,
            "includeDropouts": False,
        },
        "channels": ["EMAIL", "SMS"],
        "messageTemplates": [
            {
                "channel": "EMAIL",
                "sequence": 1,
                "delayDays": 0,
                "subject": "{{ patient.firstName }}, it's time for your cleaning",
                "body": "Hi {{ patient.firstName }},\n\nYour last visit to {{ clinic.name }} was {{ patient.lastVisitDate | ago }}. Book a cleaning at {{ bookingLink }} and use {{ incentive.code }} for {{ incentive.details }}.\n\nSee you soon,\n{{ clinic.name }} · {{ clinic.phone }}",
            },
            {
                "channel": "SMS",
                "sequence": 2,
                "delayDays": 4,
                "body": "{{ clinic.name }}: hi {{ patient.firstName }}, still time to book your cleaning: {{ bookingLink }}",
            },
        ],
        "schedule": {
            "startDate": now.isoformat(),
            "endDate": (now + timedelta(days=60)).isoformat(),
            "sendTimes": ["10:00", "17:30"],
            "timezone": "America/Chicago",
        },
        "incentive": {
            "hasIncentive": True,
            "incentiveDetails": "a free electric toothbrush",
            "incentiveCode": "SMILE26",
            "incentiveCostCents": 1500,
        },
    }
    dropouts = {
        "name": "Ortho dropouts: finish your smile",
        "targeting": {
            "inactiveDays": 120,
            "treatmentStages": ["ACTIVE_TREATMENT"],
            "includeDropouts": True,
        },
        "channels": ["EMAIL", "MAIL"],
        "messageTemplates": [
            {
                "channel": "EMAIL",
                "sequence": 1,
                "subject": "Let's finish what we started",
                "body": "Hi {{ patient.firstName }}, your treatment is only part done. Pick a time at {{ bookingLink }}.",
            },
            {
                "channel": "MAIL",
                "sequence": 2,
                "delayDays": 10,
                "body": "Dear {{ patient.firstName }} {{ patient.lastName }},\n\nWe would love to help you finish your treatment. Call {{ clinic.phone }}.",
            },
        ],
        "variants": [{"name": "A", "weight": 1}],
        "holdoutPercent": 10,
        "schedule": {
            "startDate": (now + timedelta(days=7)).isoformat(),
            "sendTimes": ["11:00"],
            "timezone": "America/Chicago",
        },
    }
    no_shows = {
        "name": "No-show follow-up",
        "targeting": {"inactiveDays": 30, "includeNoShows": True, "excludeContactDays": 14},
        "channels": ["SMS"],
        "messageTemplates": [
            {
                "channel": "SMS",
                "sequence": 1,
                "body": "{{ clinic.name }}: we missed you, {{ patient.firstName }}. Rebook: {{ bookingLink }}",
            }
        ],
        "schedule": {
            "startDate": (now + timedelta(days=1)).isoformat(),
            "sendTimes": ["09:30"],
            "timezone": "America/Chicago",
        },
    }
    return [(recall, "launch"), (dropouts, "launch"), (no_shows, None)]


async def publish_patients(now: datetime) -> int:
    settings = load_settings("demo-data")
    await ensure_topics(settings)
    producer = make_producer(settings)
    await producer.start()
    try:
        publisher = EventPublisher(settings, producer)
        envelopes: list[Envelope[Any]] = []
        for patient, visit in demo_patients(now):
            envelopes.append(Envelope.wrap(patient, source="demo-pms", clinic_id=CLINIC))
            envelopes.append(Envelope.wrap(visit, source="demo-pms", clinic_id=CLINIC))
        await publisher.publish_many(envelopes)
        return len(envelopes) // 2
    finally:
        await producer.stop()


async def create_campaigns(now: datetime) -> list[str]:
    settings = load_settings("demo-data")
    token = issue_token(
        development_signing_key(),  # services in development verify with its public half
        user_id="demo-admin",
        clinic_id=CLINIC,
        role="clinic_admin",
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )
    headers = {"Authorization": f"Bearer {token}"}
    made = []
    async with httpx.AsyncClient(base_url=GATEWAY, headers=headers, timeout=15) as gateway:
        listing = (
            (await gateway.get("/api/booking/campaigns", params={"first": 100}))
            .raise_for_status()
            .json()
        )
        existing = {item["name"] for item in listing["items"]}
        for campaign, action in demo_campaigns(now):
            if campaign["name"] in existing:
                continue
            created = await gateway.post("/api/booking/campaigns", json=campaign)
            if created.status_code != 201:
                sys.exit(f"demo campaign {campaign['name']!r} refused: {created.text}")
            if action:
                (
                    await gateway.post(f"/api/booking/campaigns/{created.json()['id']}/{action}")
                ).raise_for_status()
            made.append(campaign["name"])
    return made


async def main() -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    patients = await publish_patients(now)
    made = await create_campaigns(now)
    print(
        f"clinic {CLINIC}: {patients} patients published; campaigns created: {made or 'none (already there)'}"
    )


if __name__ == "__main__":
    asyncio.run(main())
