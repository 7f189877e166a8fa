"""tracking-svc in-process against the real Kafka and FerretDB, fed through real topics."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from reengage_common.auth import generate_signing_key, issue_token
from reengage_common.bus import EventPublisher, make_producer
from reengage_common.events import (
    CampaignLaunched,
    Channel,
    ClinicProfile,
    Contact,
    Envelope,
    Event,
    Incentive,
    MessageDue,
    MessageSent,
    MessageTemplate,
    Schedule,
    SendOutcome,
    Targeting,
    Variant,
    message_id,
)
from reengage_testing import FakeClock, eventually
from tracking_svc.app import create_app
from tracking_svc.config import TrackingSettings
from tracking_svc.domain.replies import twilio_signature

CLINIC = "clinic-a"
T0 = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
PUBLIC = "https://track.example"
PUBLIC_PORT = 8105
PUBLIC_ADDRESS = f"http://tracking:{PUBLIC_PORT}"  # the port the public routes listen on
TWILIO_TOKEN = "test-twilio-token"
EMAIL_SECRET = "test-email-secret"
BOOKING_URL = "https://brightsmiles.example/book"
SMS_FROM = "+15005550006"  # the clinic number its texts come from


@dataclass
class Tracking:
    client: Any
    settings: TrackingSettings
    publisher: EventPublisher
    clock: FakeClock
    key: Any
    public: Any  # a client of the public routes (/u, /b, /webhooks)

    def headers(self, clinic: str = CLINIC) -> dict[str, str]:
        token = issue_token(self.key, user_id="u-1", clinic_id=clinic, role="staff")
        return {"authorization": f"Bearer {token}"}

    async def emit(self, *events: Event, clinic: str = CLINIC, at: datetime | None = None) -> None:
        await self.publisher.publish_many(
            Envelope.wrap(event, source="tests", clinic_id=clinic, at=at or self.clock())
            for event in events
        )

    async def stats(self, campaign_id: str, clinic: str = CLINIC) -> dict[str, Any]:
        answer = await self.client.get(
            f"/campaigns/{campaign_id}/stats", headers=self.headers(clinic)
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    async def recipients(self, campaign_id: str, **params: Any) -> dict[str, Any]:
        answer = await self.client.get(
            f"/campaigns/{campaign_id}/recipients", params=params, headers=self.headers()
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    async def recipient(self, campaign_id: str, patient_id: str) -> dict[str, Any] | None:
        items = (await self.recipients(campaign_id, first=100))["items"]
        return next((item for item in items if item["patientId"] == patient_id), None)

    async def until(self, campaign_id: str, check, clinic: str = CLINIC) -> dict[str, Any]:
        """Wait for figures that satisfy `check`; returns them."""
        seen: dict[str, Any] = {}

        async def ready() -> bool:
            seen.update(await self.stats(campaign_id, clinic))
            return bool(check(seen))

        try:
            await eventually(ready, within=30, interval=0.2)
        except AssertionError as exc:
            raise AssertionError(f"figures never matched: {seen}") from exc
        return seen

    async def twilio(self, path: str, params: dict[str, str], *, signature: str | None = None):
        url = f"{PUBLIC}{path}"
        signed = signature or twilio_signature(TWILIO_TOKEN, url, params.items())
        return await self.public.post(path, data=params, headers={"X-Twilio-Signature": signed})


@pytest.fixture(scope="module")
async def tracking(infra, settings_for) -> AsyncIterator[Tracking]:
    prefix = f"{infra.kafka_topic_prefix}trk-{uuid.uuid4().hex[:6]}."
    key = generate_signing_key()
    settings = settings_for(
        "tracking-svc",
        TrackingSettings,
        kafka_topic_prefix=prefix,
        mongo_db_prefix=f"{infra.mongo_db_prefix}trk{uuid.uuid4().hex[:4]}_",
        jwt_public_key=key.public_pem,
        public_base_url=PUBLIC,
        public_port=PUBLIC_PORT,
        twilio_auth_token=TWILIO_TOKEN,
        email_webhook_secret=EMAIL_SECRET,
        max_public_body_bytes=4096,
    )
    clock = FakeClock(T0)
    producer = make_producer(settings)
    await producer.start()
    try:
        app = create_app(settings, clock=clock)
        async with LifespanManager(app, startup_timeout=60, shutdown_timeout=30) as manager:
            # One app, two ports: the request's port picks the routes (tracking_svc.ports).
            transport = httpx.ASGITransport(app=manager.app)
            async with (
                httpx.AsyncClient(transport=transport, base_url="http://tracking") as client,
                httpx.AsyncClient(transport=transport, base_url=PUBLIC_ADDRESS) as public,
            ):
                publisher = EventPublisher(settings, producer)
                yield Tracking(client, settings, publisher, clock, key, public)
    finally:
        await producer.stop()


def new_campaign() -> str:
    return f"c-{uuid.uuid4().hex[:8]}"


def launched(
    campaign_id: str, *, variants=("A",), incentive_cost: int = 0, sms_from: str = SMS_FROM
) -> CampaignLaunched:
    return CampaignLaunched(
        campaign_id=campaign_id,
        name="Winter recall",
        targeting=Targeting(inactive_days=180),
        channels=[Channel.EMAIL, Channel.SMS],
        message_templates=[MessageTemplate(channel=Channel.SMS, body="Hi", sequence=1)],
        variants=[Variant(name=v) for v in variants],
        schedule=Schedule(start_date=T0),
        incentive=Incentive(
            has_incentive=incentive_cost > 0,
            incentive_details="20% off",
            incentive_code="SMILE20" if incentive_cost else None,
            incentive_cost_cents=incentive_cost,
        ),
        launched_at=T0,
        clinic=ClinicProfile(
            name="Bright Smiles",
            phone="(555) 010-0100",
            email="hi@bs.example",
            timezone="America/Chicago",
            booking_url=BOOKING_URL,
            sms_from=sms_from,
        ),
    )


def step(
    campaign_id: str,
    patient_id: str,
    *,
    channel: Channel = Channel.SMS,
    sequence: int = 1,
    variant: str = "A",
    phone: str | None = None,
    outcome: SendOutcome = SendOutcome.SENT,
    cost: int = 1,
    minutes: int = 0,
    language: str | None = None,
) -> tuple[MessageDue, MessageSent]:
    """A message.due and its message.sent; SMS ones carry the phone and a Twilio sid."""
    mid = message_id(campaign_id, patient_id, 1, sequence)
    at = T0 + timedelta(minutes=minutes)
    due = MessageDue(
        message_id=mid,
        campaign_id=campaign_id,
        patient_id=patient_id,
        sequence=sequence,
        channel=channel,
        variant=variant,
        due_at=at,
        contact=Contact(phone=phone, email=f"{patient_id}@example.com", language=language),
        merge_data={"patient": {"firstName": f"First-{patient_id}", "lastName": "Doe"}},
    )
    sent = MessageSent(
        message_id=mid,
        campaign_id=campaign_id,
        patient_id=patient_id,
        sequence=sequence,
        channel=channel,
        variant=variant,
        outcome=outcome,
        provider="twilio" if channel is Channel.SMS else "smtp",
        provider_message_id=f"pm-{mid}",
        cost_cents=cost,
        at=at + timedelta(seconds=30),
    )
    return due, sent
