"""The whole system as a clinic meets it: the gateway in front of the real campaign-svc,
audience-svc, dispatch-svc and tracking-svc, with real Kafka and FerretDB behind them.

Everything runs in-process and starts once per test module, in topics and databases of that
module's own (inside the run's prefixes, so the root `infra` fixture removes them), with a
clock the test controls (campaign-svc, audience-svc and tracking-svc read the same one) and a
scheduler that looks every 0.1 s.
"""

import contextlib
import copy
import itertools
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from audience_svc.app import create_app as audience_app
from campaign_svc.app import create_app as campaign_app
from campaign_svc.config import CampaignSettings
from dispatch_svc.app import create_app as dispatch_app
from gateway.app import create_app as gateway_app
from reengage_common.auth import (
    MANAGE_REMINDERS,
    VIEW_ANALYTICS,
    SigningKey,
    generate_signing_key,
    issue_token,
)
from reengage_common.events import Envelope, Event, parse
from reengage_common.settings import Settings
from reengage_testing import COMPLETE_CLINIC_PROFILE, FakeClock, free_port, serving
from tracking_svc.app import create_app as tracking_app

CLINIC_A = "clinic-a"
# The instant campaign-svc believes it is when a module starts; tests move it forward.
START_OF_TEST_TIME = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
# The identity service of these tests mints with SIGNING_KEY; every part holds its public half.
SIGNING_KEY = generate_signing_key()
STRANGER_KEY = generate_signing_key()

# Who calls: None sends no Authorization header; "bad token" is signed with a stranger's key.
PERSONAS: dict[str, tuple[str, list[str] | None] | None] = {
    "no token": None,
    "bad token": ("clinic_admin", [VIEW_ANALYTICS, MANAGE_REMINDERS]),
    "staff without permissions": ("staff", []),
    "staff with view only": ("staff", [VIEW_ANALYTICS]),
    "manager": ("manager", None),  # role defaults: view_analytics and manage_reminders
    "clinic_admin": ("clinic_admin", None),
}

# A valid campaign as a clinic would write it: two touches, email then SMS.
CAMPAIGN_INPUT: dict[str, Any] = {
    "name": "Winter recall",
    "description": "Patients who missed their hygiene recall",
    "targeting": {
        "inactiveDays": 180,
        "treatmentStages": ["HYGIENE_RECALL"],
        "includeNoShows": True,
        "includeDropouts": False,
        "excludeRecentContact": True,
        "excludeContactDays": 30,
    },
    "channels": ["EMAIL", "SMS"],
    "messageTemplates": [
        {
            "channel": "EMAIL",
            "subject": "We miss you, {{ patient.firstName }}",
            "body": "Hi {{ patient.firstName }}, your last visit was "
            "{{ patient.lastVisitDate | ago }}. {{ incentive.details }} with {{ incentive.code }}.",
            "sequence": 1,
            "delayDays": 0,
            "variant": "A",
        },
        {
            "channel": "SMS",
            "body": "{{ clinic.name }}: book at {{ bookingLink }}",
            "sequence": 2,
            "delayDays": 3,
            "variant": "A",
        },
    ],
    "variants": [{"name": "A", "weight": 1}],
    "holdoutPercent": 10.0,
    "schedule": {
        "startDate": "2026-11-20T09:00:00+00:00",
        "endDate": None,
        "sendTimes": ["10:00", "17:30"],
        "timezone": "America/Chicago",
    },
    "incentive": {
        "hasIncentive": True,
        "incentiveDetails": "20% off your next cleaning",
        "incentiveCode": "SMILE20",
        "incentiveCostCents": 500,
    },
}


def campaign_input(**changes: Any) -> dict[str, Any]:
    """A fresh copy of CAMPAIGN_INPUT; `targeting`, `schedule` and `incentive` merge."""
    body = copy.deepcopy(CAMPAIGN_INPUT)
    for key, value in changes.items():
        if key in {"targeting", "schedule", "incentive"}:
            body[key].update(value)
        else:
            body[key] = value
    return body


@dataclass
class Stack:
    """The running system of one test module and the ways a test talks to it."""

    gateway: httpx.AsyncClient
    campaign_svc: httpx.AsyncClient  # direct, for quick set-up of a test's campaigns
    clock: FakeClock
    settings: CampaignSettings
    # direct, to see what a service itself answers (the gateway is what a clinic meets)
    audience_svc: httpx.AsyncClient
    tracking_svc: httpx.AsyncClient
    gateway_settings: Settings
    transports: dict[str, httpx.AsyncBaseTransport]

    @contextlib.asynccontextmanager
    async def gateway_without(self, *services: str) -> AsyncIterator[httpx.AsyncClient]:
        """A second gateway in front of the same services, except that `services` (e.g.
        "tracking-svc") are down: their URL is a port nothing listens on."""
        urls = {
            service.replace("-", "_") + "_url": f"http://127.0.0.1:{free_port()}"
            for service in services
        }
        transports = {name: t for name, t in self.transports.items() if name not in services}
        settings = self.gateway_settings.model_copy(update=urls)
        async with serving(gateway_app(settings, transports)) as gateway:
            yield gateway

    def headers(self, persona: str = "clinic_admin", clinic: str = CLINIC_A) -> dict[str, str]:
        who = PERSONAS[persona]
        if who is None:
            return {}
        role, permissions = who
        key = STRANGER_KEY if persona == "bad token" else SIGNING_KEY
        token = issue_token(
            key, user_id=f"u-{role}", clinic_id=clinic, role=role, permissions=permissions
        )
        return {"authorization": f"Bearer {token}"}

    async def graphql(
        self,
        document: str,
        variables: dict[str, Any] | None = None,
        *,
        persona: str = "clinic_admin",
        clinic: str = CLINIC_A,
    ) -> dict[str, Any]:
        response = await self.gateway.post(
            "/graphql",
            json={"query": document, "variables": variables or {}},
            headers=self.headers(persona, clinic),
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def rest(
        self,
        method: str,
        path: str,
        *,
        persona: str = "clinic_admin",
        clinic: str = CLINIC_A,
        json: Any = None,
        content: bytes | None = None,
        content_type: str | None = None,
    ) -> httpx.Response:
        """`json`, or a raw `content` (e.g. a CSV file) sent with `content_type`."""
        headers = self.headers(persona, clinic)
        if content_type is not None:
            headers["content-type"] = content_type
        return await self.gateway.request(method, path, json=json, content=content, headers=headers)

    async def patients(self, *, clinic: str = CLINIC_A) -> int:
        """The clinic's known patients, as audience-svc counts them now."""
        answer = await self.audience_svc.post(
            "/estimate",
            json={"targeting": {"inactiveDays": 1}},
            headers=self.headers("clinic_admin", clinic),
        )
        assert answer.status_code == 200, answer.text
        return answer.json()["patients"]

    async def give_profile(self, clinic: str = CLINIC_A, **changes: Any) -> dict[str, Any]:
        """A complete clinic profile (every channel's needs), straight through campaign-svc."""
        answer = await self.campaign_svc.put(
            "/clinic",
            json={**COMPLETE_CLINIC_PROFILE, **changes},
            headers=self.headers("clinic_admin", clinic),
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    async def campaign(
        self, status: str = "DRAFT", *, clinic: str = CLINIC_A, **changes: Any
    ) -> dict[str, Any]:
        """A campaign brought to `status` straight through campaign-svc (set-up, not under test).

        A launched one gets an incentive code of its own unless the test names one: live
        campaigns of a clinic must not share a code, and its clinic gets a complete profile."""
        admin = self.headers("clinic_admin", clinic)
        if status == "SCHEDULED" and "schedule" not in changes:
            changes["schedule"] = {"startDate": (self.clock.now + timedelta(days=1)).isoformat()}
        if status != "DRAFT":
            await self.give_profile(clinic)
            changes.setdefault("incentive", {"incentiveCode": f"SETUP{next(_SETUP_CODES)}"})
        created = await self.campaign_svc.post(
            "/campaigns", json=campaign_input(**changes), headers=admin
        )
        assert created.status_code == 201, created.text
        document = created.json()
        for action in _ACTIONS_TO[status]:
            answer = await self.campaign_svc.post(
                f"/campaigns/{document['id']}/{action}", headers=admin
            )
            assert answer.status_code == 200, answer.text
            document = answer.json()
        assert document["status"] == status
        return document

    async def stored(self, campaign_id: str, *, clinic: str = CLINIC_A) -> dict[str, Any] | None:
        """The campaign as campaign-svc stores it now; None when it does not exist."""
        answer = await self.campaign_svc.get(
            f"/campaigns/{campaign_id}", headers=self.headers("clinic_admin", clinic)
        )
        return answer.json() if answer.status_code == 200 else None

    async def count(self, *, clinic: str = CLINIC_A) -> int:
        answer = await self.campaign_svc.get(
            "/campaigns", params={"first": 1}, headers=self.headers("clinic_admin", clinic)
        )
        return answer.json()["totalCount"]

    async def events(
        self, topic: str, campaign_id: str, *, count: int, within: float = 20.0
    ) -> list[Envelope[Event]]:
        """The events of one campaign on a topic of this module, in the order Kafka holds them
        (a topic keyed by patient, like message.due, too: events whose data names the campaign).

        Reads from the start until `count` are seen and the whole topic as it is then is read,
        so an event too many is seen too (and `count=0` reads everything there is).
        """
        consumer = AIOKafkaConsumer(
            self.settings.topic(topic),
            bootstrap_servers=self.settings.kafka_bootstrap_servers,
            group_id=None,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            client_id=f"e2e-reader-{uuid.uuid4().hex[:6]}",
        )
        await consumer.start()
        found: list[Envelope[Event]] = []
        deadline = time.monotonic() + within
        try:
            while time.monotonic() < deadline:
                batches = await consumer.getmany(timeout_ms=200)
                for batch in batches.values():
                    events = [parse(r.value) for r in batch]
                    found += [e for e in events if _campaign_of(e) == campaign_id]
                if len(found) >= count and await _read_to_the_end(consumer):
                    break
        finally:
            await consumer.stop()
        return found


@pytest.fixture(scope="session")
def signing_key() -> SigningKey:
    """The key this run's identity service mints with; every part holds its public half."""
    return SIGNING_KEY


@pytest.fixture(scope="session")
def new_campaign_input():
    """`campaign_input`, for tests: a fresh valid definition with the given changes."""
    return campaign_input


def _campaign_of(envelope: Envelope[Event]) -> str | None:
    return getattr(envelope.data, "campaign_id", None)


async def _read_to_the_end(consumer: AIOKafkaConsumer) -> bool:
    partitions = consumer.assignment()
    if not partitions:
        return False
    ends = await consumer.end_offsets(list(partitions))
    return all([await consumer.position(p) >= end for p, end in ends.items()])


_SETUP_CODES = itertools.count(1)

_ACTIONS_TO: dict[str, tuple[str, ...]] = {
    "DRAFT": (),
    "SCHEDULED": ("launch",),
    "ACTIVE": ("launch",),
    "PAUSED": ("launch", "pause"),
    "CANCELLED": ("launch", "cancel"),
}


@pytest.fixture(scope="module")
async def stack(infra, settings_for, request) -> AsyncIterator[Stack]:
    """The gateway and the services, started once for the module that asks."""
    module = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    own = uuid.uuid4().hex[:4]
    topics = f"{infra.kafka_topic_prefix}e2e-{module}-{own}."
    databases = f"{infra.mongo_db_prefix}e2e_{module}_{own}_"

    def settings(service: str, settings_class: type[Settings] = Settings, **more: Any) -> Any:
        return settings_for(
            service,
            settings_class,
            kafka_topic_prefix=topics,
            mongo_db_prefix=databases,
            jwt_public_key=SIGNING_KEY.public_pem,
            **more,
        )

    campaign_settings = settings("campaign-svc", CampaignSettings, scheduler_interval_seconds=0.1)
    clock = FakeClock(START_OF_TEST_TIME)
    async with (
        serving(campaign_app(campaign_settings, clock=clock)) as campaign,
        serving(audience_app(settings("audience-svc"), clock=clock)) as audience,
        serving(dispatch_app(settings("dispatch-svc"))) as dispatch,
        serving(tracking_app(settings("tracking-svc"), clock=clock)) as tracking,
    ):
        transports = {
            "campaign-svc": campaign._transport,
            "audience-svc": audience._transport,
            "dispatch-svc": dispatch._transport,
            "tracking-svc": tracking._transport,
        }
        gateway_settings = settings("gateway")
        async with serving(gateway_app(gateway_settings, transports)) as gateway:
            stack = Stack(
                gateway=gateway,
                campaign_svc=campaign,
                clock=clock,
                settings=campaign_settings,
                audience_svc=audience,
                tracking_svc=tracking,
                gateway_settings=gateway_settings,
                transports=transports,
            )
            # The two clinics most tests use can launch on every channel.
            for clinic in (CLINIC_A, "clinic-b"):
                await stack.give_profile(clinic)
            yield stack
