"""What dispatch's tests share: a clock, provider fakes on free ports, events, Mailpit, topics.

The Twilio and Lob fakes run in the test's own process (uvicorn on a free port), so each test
can switch their failure modes and read what they recorded without touching another test's
fakes; a dispatch subprocess reaches them over HTTP like the real providers.
"""

import asyncio
import contextlib
import os
import sys
import uuid
import weakref
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from aiokafka import AIOKafkaConsumer

from dispatch_svc.app import create_app
from dispatch_svc.bootstrap import Dispatch
from dispatch_svc.config import DispatchSettings
from dispatch_svc.store import DispatchStore
from reengage_common.bus import EventPublisher, ensure_topics, make_producer
from reengage_common.events import (
    Address,
    CampaignLaunched,
    CampaignStatus,
    CampaignStatusChanged,
    Channel,
    ClinicProfile,
    Contact,
    Envelope,
    Event,
    MessageDue,
    MessageTemplate,
    RecipientResponded,
    ResponseKind,
    Schedule,
    Variant,
    message_id,
    parse,
)
from reengage_testing import FakeClock, free_port, serving

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "deploy" / "local"))

from provider_fakes.lob import LobFake, lob_app  # noqa: E402
from provider_fakes.twilio import TwilioConfig, TwilioFake, twilio_app  # noqa: E402

ACCOUNT_SID = "AC" + "1" * 32
AUTH_TOKEN = "kit-twilio-token"
LOB_KEY = "test_kit_lob_key"
CLINIC = "clinic-kit"
MAILPIT_API = os.environ.get("MAILPIT_API_BASE", "http://127.0.0.1:8025")
PUBLIC_BASE_URL = "https://links.clinic.example"
CLINIC_PROFILE = ClinicProfile(
    name="Bright Smiles Dental",
    phone="(555) 010-0100",
    email="hello@brightsmiles.example",
    address=Address(
        line1="100 Main Street", city="Springfield", state="IL", postal_code="62701", country="US"
    ),
    booking_url="https://brightsmiles.example/book",
    timezone="America/Chicago",
    email_from="Bright Smiles Dental <hello@brightsmiles.example>",
    sms_from="+13125550100",  # not SMS_FROM: the clinic's own number must win
)


@dataclass
class Providers:
    twilio: TwilioFake
    lob: LobFake
    twilio_base: str
    lob_base: str


@contextlib.asynccontextmanager
async def provider_fakes() -> AsyncIterator[Providers]:
    twilio = TwilioFake(TwilioConfig(ACCOUNT_SID, AUTH_TOKEN, callback_delay=0))
    twilio.behaviour.status_callbacks = False
    lob = LobFake(api_key=LOB_KEY)
    servers, ports = [], []
    for app in (twilio_app(twilio), lob_app(lob)):
        port = free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", access_log=False
        )
        servers.append(uvicorn.Server(config))
        ports.append(port)
    tasks = [asyncio.create_task(server.serve()) for server in servers]
    for _ in range(500):
        if all(server.started for server in servers):
            break
        await asyncio.sleep(0.02)
    try:
        yield Providers(twilio, lob, f"http://127.0.0.1:{ports[0]}", f"http://127.0.0.1:{ports[1]}")
    finally:
        for server in servers:
            server.should_exit = True
        await asyncio.gather(*tasks, return_exceptions=True)


def dispatch_settings(
    infra: DispatchSettings | Any, providers: Providers, name: str, **overrides: Any
) -> DispatchSettings:
    """Settings in topics and a database of this test's own, pointed at its fakes."""
    values: dict[str, Any] = {
        "service": "dispatch-svc",
        "kafka_topic_prefix": f"{infra.kafka_topic_prefix}{name}.",
        "mongo_db_prefix": f"{infra.mongo_db_prefix}{name}_",
        "public_base_url": PUBLIC_BASE_URL,
        "twilio_api_base": providers.twilio_base,
        "twilio_account_sid": ACCOUNT_SID,
        "twilio_auth_token": AUTH_TOKEN,
        "sms_from": "+15005550006",
        "lob_api_base": providers.lob_base,
        "lob_api_key": LOB_KEY,
        # the platform's envelope sender; the From header is the clinic's emailFrom
        "email_from": "Re-engage <noreply@reengage.example>",
        "sender_tick_seconds": 0.05,
        "outbox_poll_seconds": 0.05,
        "lease_ttl_seconds": 3.0,
        "claim_ttl_seconds": 4.0,
        "retry_wait_max_seconds": 0.05,
        "kafka_linger_ms": 1,
    }
    values.update(overrides)
    return DispatchSettings(**values)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def step(channel: Channel, sequence: int, body: str, **extra: Any) -> MessageTemplate:
    return MessageTemplate(channel=channel, sequence=sequence, body=body, **extra)


EMAIL_STEP = step(
    Channel.EMAIL,
    1,
    "Hi {{ patient.firstName }}, we miss you. Book: {{ bookingLink }}",
    subject="We miss you, {{ patient.firstName }}",
)
SMS_STEP = step(Channel.SMS, 2, "{{ clinic.name }}: book at {{ bookingLink }}", delay_days=3)
MAIL_STEP = step(
    Channel.MAIL, 3, "Dear {{ patient.firstName }}, we saved you a spot.", delay_days=7
)


def launched(
    campaign_id: str,
    steps: list[MessageTemplate],
    *,
    at: datetime,
    send_times: list[str] | None = None,
    end: datetime | None = None,
    timezone: str = "America/Chicago",
) -> CampaignLaunched:
    return CampaignLaunched(
        campaign_id=campaign_id,
        name="Winter recall",
        targeting={"inactiveDays": 180},
        channels=sorted({s.channel for s in steps}),
        message_templates=steps,
        variants=[Variant(name="A")],
        schedule=Schedule(
            start_date=at, end_date=end, send_times=send_times or ["10:00"], timezone=timezone
        ),
        launched_at=at,
        clinic=CLINIC_PROFILE,
    )


def status_changed(campaign_id: str, to: CampaignStatus, at: datetime) -> CampaignStatusChanged:
    return CampaignStatusChanged.model_validate(
        {"campaignId": campaign_id, "from": "ACTIVE", "to": to, "at": at}
    )


def patient_contact(
    patient_id: str, *, timezone: str | None = "America/Chicago", domain: str = "patients.example"
) -> Contact:
    return Contact(
        name=f"Pat {patient_id}",
        email=f"{patient_id}@{domain}",
        phone="+1555" + str(zlib.crc32(patient_id.encode()) % 10_000_000).zfill(7),
        address=Address(
            line1="1 Main St", city="Springfield", state="IL", postal_code="62701", country="US"
        ),
        timezone=timezone,
    )


def due(
    campaign_id: str,
    patient_id: str,
    *,
    at: datetime,
    channel: Channel = Channel.EMAIL,
    sequence: int = 1,
    contact: Contact | None = None,
    first_name: str = "Ada",
    variant: str = "A",
) -> MessageDue:
    return MessageDue(
        message_id=message_id(campaign_id, patient_id, 1, sequence),
        campaign_id=campaign_id,
        patient_id=patient_id,
        sequence=sequence,
        channel=channel,
        variant=variant,
        due_at=at,
        contact=contact or patient_contact(patient_id),
        merge_data={
            "patient": {
                "firstName": first_name,
                "lastName": "Lovelace",
                "lastVisitDate": "2025-10-15",
                "treatmentStage": "HYGIENE_RECALL",
            }
        },
        incentive_code="SMILE20",
    )


def responded(
    campaign_id: str, patient_id: str, kind: ResponseKind, at: datetime, channel: Channel | None
) -> RecipientResponded:
    return RecipientResponded(
        campaign_id=campaign_id, patient_id=patient_id, kind=kind, channel=channel, at=at
    )


class Bus:
    """Publishes events into a test's topics and watches what dispatch publishes."""

    def __init__(self, settings: DispatchSettings) -> None:
        self.settings = settings
        self.seen: dict[str, list[Envelope[Any]]] = {}
        self._tasks: list[asyncio.Task[None]] = []

    async def __aenter__(self) -> "Bus":
        await ensure_topics(self.settings)
        self._producer = make_producer(self.settings)
        await self._producer.start()
        self.publisher = EventPublisher(self.settings, self._producer)
        return self

    async def __aexit__(self, *_: object) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._producer.stop()

    async def publish(self, *events: Event, clinic_id: str = CLINIC) -> None:
        await self.publisher.publish_many(
            Envelope.wrap(event, source="tests", clinic_id=clinic_id) for event in events
        )

    async def watch(self, topic: str) -> list[Envelope[Any]]:
        """Collect every event of `topic` from its beginning, in the background."""
        seen = self.seen.setdefault(topic, [])
        consumer = AIOKafkaConsumer(
            self.settings.topic(topic),
            bootstrap_servers=self.settings.kafka_bootstrap_servers,
            group_id=None,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await consumer.start()

        async def collect() -> None:
            try:
                async for record in consumer:
                    seen.append(parse(record.value or b""))
            finally:
                await consumer.stop()

        self._tasks.append(asyncio.create_task(collect()))
        return seen


def sent_of(events: list[Envelope[Any]], campaign_id: str) -> list[Any]:
    return [e.data for e in events if e.data.campaign_id == campaign_id]


class Mailpit:
    """Mailpit's REST API: what arrived for an address, with headers and raw source."""

    def __init__(self) -> None:
        self.http = httpx.AsyncClient(base_url=MAILPIT_API, timeout=30)

    async def to(self, address: str) -> list[dict[str, Any]]:
        """Messages to `address` (a part of it, e.g. "@campaign.example", matches too)."""
        found: list[dict[str, Any]] = []
        while True:
            answer = await self.http.get(
                "/api/v1/search",
                params={"query": f'to:"{address}"', "limit": 1000, "start": len(found)},
            )
            answer.raise_for_status()
            page = answer.json()
            found += page["messages"]
            if not page["messages"] or len(found) >= page["messages_count"]:
                return found

    async def headers(self, mailpit_id: str) -> dict[str, list[str]]:
        answer = await self.http.get(f"/api/v1/message/{mailpit_id}/headers")
        answer.raise_for_status()
        return answer.json()

    async def raw(self, mailpit_id: str) -> bytes:
        answer = await self.http.get(f"/api/v1/message/{mailpit_id}/raw")
        answer.raise_for_status()
        return answer.content

    @contextlib.asynccontextmanager
    async def refusing(self, stage: str, code: int) -> AsyncIterator[None]:
        """Mailpit's chaos: every SMTP `stage` ("Sender": MAIL, "Recipient": RCPT) answers
        `code` until the block ends (for the whole server: tests run one at a time)."""
        answer = await self.http.put(
            "/api/v1/chaos", json={stage: {"ErrorCode": code, "Probability": 100}}
        )
        assert answer.status_code == 200, (
            f"Mailpit's chaos API answered {answer.status_code} ({answer.text.strip()}): a Mailpit"
            " started by an older checkout lacks --enable-chaos; restart it (./dev down; ./dev up)"
        )
        try:
            yield
        finally:
            calm = {"ErrorCode": 451, "Probability": 0}
            await self.http.put("/api/v1/chaos", json={"Sender": calm, "Recipient": calm})

    async def close(self) -> None:
        await self.http.aclose()


async def ticks_pass(sender: Any, count: int = 3) -> None:
    """Wait until the sender made `count` more passes (it had its chance to act)."""
    target = sender.ticks + count
    for _ in range(2000):
        if sender.ticks >= target:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the sender stopped ticking")


# What each app's running lifespan built (its `bootstrap`), for tests in-process.
_BUILT: "weakref.WeakKeyDictionary[Any, Dispatch]" = weakref.WeakKeyDictionary()


def dispatch_app(settings: DispatchSettings, clock: FakeClock, **overrides: Any) -> Any:
    """dispatch-svc's app, whose sender and store a test reaches through `running_sender`."""

    def keep(dispatch: Dispatch) -> None:
        _BUILT[app] = dispatch

    app = create_app(settings, clock=clock, built=keep, **overrides)
    return app


def running_dispatch(app: Any) -> Dispatch:
    dispatch = _BUILT.get(app)
    assert dispatch is not None, "the app's lifespan has not started"
    return dispatch


def running_sender(app: Any) -> Any:
    return running_dispatch(app).sender


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@dataclass
class Stack:
    settings: DispatchSettings
    providers: Providers
    bus: Bus
    mailpit: Mailpit
    clock: FakeClock
    app: Any
    client: httpx.AsyncClient

    @property
    def sender(self) -> Any:
        return running_sender(self.app)

    @property
    def store(self) -> DispatchStore:
        return running_dispatch(self.app).store

    async def sms_to(self, phone: str) -> list[dict[str, Any]]:
        return [m for m in self.providers.twilio.messages.values() if m["to"] == phone]

    def letters_for(self, name: str) -> list[dict[str, Any]]:
        letters = self.providers.lob.letters.values()
        return [letter for letter in letters if letter["to"]["name"] == name]


@contextlib.asynccontextmanager
async def dispatch_stack(
    infra: Any, name: str, clock: FakeClock, store: Any = None, **overrides: Any
) -> AsyncIterator[Stack]:
    """dispatch-svc in-process with its own topics, database and provider fakes; `store`
    (a factory of the runtime) replaces its store."""
    async with provider_fakes() as providers:
        settings = dispatch_settings(infra, providers, unique(name), **overrides)
        mailpit = Mailpit()
        async with Bus(settings) as bus:
            app = dispatch_app(settings, clock, **({"store": store} if store else {}))
            async with serving(app) as client:
                yield Stack(settings, providers, bus, mailpit, clock, app, client)
        await mailpit.close()
