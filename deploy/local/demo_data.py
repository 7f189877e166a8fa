"""Demo data for `./dev up`: a realistic clinic ("clinic-demo", 2,000 patients) and three campaigns.

Patients and their visits arrive the way a clinic's practice-management system sends them:
as `patient.upserted` and `appointment.updated` events on Kafka (`seed.py`, deterministic);
when audience-svc already knows them, nothing is published again. Campaigns are created through
the gateway's REST API with a development token. Running it twice changes nothing.
"""

import asyncio
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from seed import publish_clinic  # deploy/local/seed.py, beside this script

from reengage_common.auth import development_signing_key, issue_token
from reengage_common.settings import load_settings

CLINIC = "clinic-demo"
GATEWAY = "http://127.0.0.1:8000"
PATIENTS = 2000
# Everything each channel needs: email (address + sender), SMS (sender number), mail (address).
DEMO_PROFILE = {
    "name": "Bright Smiles Dental",
    "phone": "(312) 555-0100",
    "email": "hello@brightsmiles.example",
    "address": {
        "line1": "100 Main Street",
        "line2": "Suite 200",
        "city": "Springfield",
        "state": "IL",
        "postalCode": "62701",
        "country": "US",
    },
    "timezone": "America/Chicago",
    "bookingUrl": "https://brightsmiles.example/book",
    "emailFrom": "Bright Smiles Dental <hello@brightsmiles.example>",
    "smsFrom": "+15005550006",
    "website": "https://brightsmiles.example",
    "quietHours": {"start": "08:00", "end": "20:00"},
}


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


def admin_headers() -> dict[str, str]:
    settings = load_settings("demo-data")
    token = issue_token(
        development_signing_key(),  # services in development verify with its public half
        user_id="demo-admin",
        clinic_id=CLINIC,
        role="clinic_admin",
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )
    return {"Authorization": f"Bearer {token}"}


async def known_patients() -> int:
    """How many of the clinic's patients audience-svc knows already (0 if it cannot tell)."""
    async with httpx.AsyncClient(base_url=GATEWAY, headers=admin_headers(), timeout=15) as gateway:
        answer = await gateway.post(
            "/api/booking/campaigns/estimate", json={"targeting": {"inactiveDays": 1}}
        )
    return int(answer.json().get("patients", 0)) if answer.status_code == 200 else 0


async def publish_patients(now: datetime) -> int:
    """The synthetic clinic of `seed.py`, unless audience-svc holds it already (a quick restart)."""
    if await known_patients() >= PATIENTS:
        return 0
    return await publish_clinic(CLINIC, PATIENTS, seed=7, today=now.date())


async def give_profile() -> bool:
    """The demo clinic's profile, unless it has one (a clinic's own edits survive `./dev up`)."""
    async with httpx.AsyncClient(base_url=GATEWAY, headers=admin_headers(), timeout=15) as gateway:
        if (await gateway.get("/api/booking/clinic")).status_code == 200:
            return False
        saved = await gateway.put("/api/booking/clinic", json=DEMO_PROFILE)
        if saved.status_code != 200:
            sys.exit(f"demo clinic profile refused: {saved.text}")
    return True


async def create_campaigns(now: datetime) -> list[str]:
    headers = admin_headers()
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
    published = await publish_patients(now)
    profiled = await give_profile()
    made = await create_campaigns(now)
    seeded = (
        f"{published} events of {PATIENTS} patients published" if published else "already seeded"
    )
    profile = "profile saved" if profiled else "profile kept"
    print(
        f"clinic {CLINIC}: {seeded}; {profile}; campaigns created: {made or 'none (already there)'}"
    )


if __name__ == "__main__":
    asyncio.run(main())
