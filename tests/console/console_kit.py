"""The whole system behind the clinic console, on real ports a browser can reach.

One stack per test module: campaign-svc, audience-svc and dispatch-svc in-process;
tracking-svc with uvicorn on two real sockets (its internal API, and its public port where the
Twilio stand-in posts inbound SMS); the gateway serving console/'s build on a real port. Kafka,
FerretDB, Mailpit and the provider stand-ins are the local infrastructure's. Every service
reads one clock the test holds, set to 10:00 in Chicago, the demo patients' time zone, so a
campaign sending at 10:00 sends at once.
"""

import asyncio
import json
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from aiokafka import AIOKafkaConsumer
from playwright.async_api import Browser, Locator, Page

from audience_svc.app import create_app as audience_app
from campaign_svc.app import create_app as campaign_app
from campaign_svc.config import CampaignSettings
from dispatch_svc.app import create_app as dispatch_app
from dispatch_svc.config import DispatchSettings
from gateway.app import create_app as gateway_app
from gateway.console import DEFAULT_DIST
from reengage_common.auth import development_signing_key, issue_token
from reengage_common.bus import EventPublisher, make_producer
from reengage_common.events import (
    AppointmentStatus,
    AppointmentUpdated,
    Consents,
    Envelope,
    Event,
    PatientUpserted,
)
from reengage_testing import COMPLETE_CLINIC_PROFILE, FakeClock, eventually, free_port, serving
from reengage_testing.webhook_receiver import WebhookReceiver, webhook_receiver
from tracking_svc.app import create_app as tracking_app
from tracking_svc.config import TrackingSettings

NOW = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)  # 10:00 in America/Chicago
CLINIC = "clinic-console"
# The development key pair (what `./dev token` and POST /console/dev-sign-in sign with), so a
# gateway started with ENV=development in front of these services signs its users in too.
SIGNING_KEY = development_signing_key()
MAILPIT = os.environ.get("MAILPIT_API_BASE", "http://127.0.0.1:8025")
TWILIO_FAKE = os.environ.get("TWILIO_API_BASE", "http://127.0.0.1:8030")
LOB_FAKE = os.environ.get("LOB_API_BASE", "http://127.0.0.1:8031")
AXE = Path(__file__).resolve().parents[2] / "console" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "console"
# What a page should show, at most this long after the action that shows it.
SHOWN_WITHIN_MS = 15_000


@dataclass
class ConsoleStack:
    url: str  # the gateway, serving the console at /console/
    clock: FakeClock
    settings: Any
    campaign_svc: httpx.AsyncClient
    tracking_public: str  # tracking-svc's public port (webhooks)
    gateway_settings: Any
    transports: dict[str, httpx.AsyncBaseTransport]
    tracking_url: str
    receiver: WebhookReceiver  # a clinic system's https webhook endpoint

    def token(self, role: str = "clinic_admin", clinic: str = CLINIC) -> str:
        return issue_token(
            SIGNING_KEY, user_id=f"u-{role}", clinic_id=clinic, role=role, permissions=None
        )

    def headers(self, role: str = "clinic_admin", clinic: str = CLINIC) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token(role, clinic)}"}

    async def graphql(
        self, document: str, variables: dict[str, Any] | None = None, clinic: str = CLINIC
    ) -> Any:
        async with httpx.AsyncClient(base_url=self.url, timeout=30) as client:
            answer = await client.post(
                "/graphql",
                json={"query": document, "variables": variables or {}},
                headers=self.headers("clinic_admin", clinic),
            )
        answer.raise_for_status()
        body = answer.json()
        assert "errors" not in body, body
        return body["data"]

    async def give_profile(self, clinic: str, profile: dict[str, Any] | None = None) -> None:
        """A complete clinic profile (every channel's needs), straight through campaign-svc."""
        answer = await self.campaign_svc.put(
            "/clinic",
            json=profile or COMPLETE_CLINIC_PROFILE,
            headers=self.headers("clinic_admin", clinic),
        )
        assert answer.status_code == 200, answer.text

    @asynccontextmanager
    async def another_gateway(self, **settings: Any) -> AsyncIterator[str]:
        """A second gateway on its own port before the same services, its settings changed."""
        changed = self.gateway_settings.model_copy(update=settings)
        async with served(gateway_app(changed, self.transports)) as url:
            yield url

    def gateway_without_tracking(self) -> Any:
        """A gateway whose tracking-svc does not answer (a port nothing listens on)."""
        return self.another_gateway(tracking_svc_url=f"http://127.0.0.1:{free_port()}")


@asynccontextmanager
async def served(app: Any, *ports: int) -> AsyncIterator[str]:
    """An ASGI app under uvicorn on real sockets (a free port unless given); its first URL."""
    ports = ports or (free_port(),)
    sockets = []
    for port in ports:
        listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind(("127.0.0.1", port))
        sockets.append(listening)
    config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=sockets))

    async def started() -> bool:
        if task.done():
            task.result()
        return server.started

    await eventually(started, within=60)
    try:
        yield f"http://127.0.0.1:{ports[0]}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture(scope="module")
async def receiver(tmp_path_factory) -> AsyncIterator[WebhookReceiver]:
    """A clinic system's https webhook endpoint, which the module's dispatch-svc trusts."""
    async with webhook_receiver(tmp_path_factory.mktemp("webhooks")) as found:
        yield found


@pytest.fixture(scope="module")
async def console(infra, settings_for, request, receiver) -> AsyncIterator[ConsoleStack]:
    """One stack per test module, gone before the next module's: campaign-svc's store is bound
    to beanie's global state, so two in-process campaign-svc at once share one (an e2e
    module's stack started beside a lingering console stack lost its database). Tests that
    need a clinic of their own name one."""
    if not (DEFAULT_DIST / "index.html").exists():
        pytest.fail(f"the console is not built in {DEFAULT_DIST}: ./dev test builds it")
    module = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    own = f"{module}-{uuid.uuid4().hex[:4]}"
    tracking_port, public_port = free_port(), free_port()
    public = f"http://127.0.0.1:{public_port}"

    def settings(service: str, settings_class: type = CampaignSettings, **more: Any) -> Any:
        return settings_for(
            service,
            settings_class,
            kafka_topic_prefix=f"{infra.kafka_topic_prefix}console-{own}.",
            mongo_db_prefix=f"{infra.mongo_db_prefix}console_{own.replace('-', '_')}_",
            jwt_public_key=SIGNING_KEY.public_pem,
            public_base_url=public,
            **more,
        )

    clock = FakeClock(NOW)
    campaign_settings = settings("campaign-svc", scheduler_interval_seconds=0.2)
    dispatch_settings = settings(
        "dispatch-svc",
        DispatchSettings,
        webhook_ca_file=receiver.ca_file,
        webhook_allow_private_hosts=True,
        webhook_tick_seconds=0.2,
        twilio_api_base=TWILIO_FAKE,
        lob_api_base=LOB_FAKE,
        smtp_host=os.environ.get("SMTP_HOST", "127.0.0.1"),
        smtp_port=int(os.environ.get("SMTP_PORT", "1025")),
    )
    # Stats answered as in production (recent answers kept 1 s, stale ones up to 10 s while
    # one refresh runs): the live figure's measurement includes them.
    tracking_settings = settings(
        "tracking-svc",
        TrackingSettings,
        public_port=public_port,
        stats_fresh_seconds=1.0,
        stats_stale_seconds=10.0,
    )
    async with (
        serving(campaign_app(campaign_settings, clock=clock)) as campaign,
        serving(audience_app(settings("audience-svc"), clock=clock)) as audience,
        serving(dispatch_app(dispatch_settings, clock=clock)) as dispatch,
        served(tracking_app(tracking_settings, clock=clock), tracking_port, public_port),
    ):
        transports = {
            "campaign-svc": campaign._transport,
            "audience-svc": audience._transport,
            "dispatch-svc": dispatch._transport,
        }
        tracking_url = f"http://127.0.0.1:{tracking_port}"
        gateway_settings = settings("gateway", tracking_svc_url=tracking_url)
        async with served(gateway_app(gateway_settings, transports)) as url:
            stack = ConsoleStack(
                url=url,
                clock=clock,
                settings=campaign_settings,
                campaign_svc=campaign,
                tracking_public=public,
                gateway_settings=gateway_settings,
                transports=transports,
                tracking_url=tracking_url,
                receiver=receiver,
            )
            yield stack


@asynccontextmanager
async def first_event_seen(
    stack: ConsoleStack, topic: str, campaign_id: str
) -> AsyncIterator["asyncio.Future[float]"]:
    """When (time.perf_counter) the first `topic` event of the campaign could be read, as the
    gateway's live consumer reads it: positioned at the end before the block starts."""
    name = stack.settings.topic(topic)
    consumer = AIOKafkaConsumer(
        name,
        bootstrap_servers=stack.settings.kafka_bootstrap_servers,
        group_id=None,
        auto_offset_reset="latest",
        enable_auto_commit=False,
        client_id=f"console-test-{uuid.uuid4().hex[:6]}",
    )
    await consumer.start()

    async def assigned() -> bool:
        return bool(consumer.assignment())

    await eventually(assigned, within=30)
    for partition in consumer.assignment():
        await consumer.position(partition)  # the end, now: nothing before the block counts
    seen: asyncio.Future[float] = asyncio.get_running_loop().create_future()

    async def watch() -> None:
        while not seen.done():
            batches = await consumer.getmany(timeout_ms=200)
            for record in (r for records in batches.values() for r in records):
                data = json.loads(record.value or b"{}").get("data") or {}
                if data.get("campaignId") == campaign_id and not seen.done():
                    seen.set_result(time.perf_counter())

    task = asyncio.create_task(watch())
    try:
        yield seen
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await consumer.stop()


async def publish_patients(
    stack: ConsoleStack, patients: list[dict[str, Any]], clinic: str = CLINIC
) -> None:
    """The clinic's systems publish patients: each dict has an id, names, contacts and the
    days since their last completed visit (and a recall interval in months and a preferred
    language, if any)."""
    events: list[Envelope[Event]] = []
    for p in patients:
        profile = PatientUpserted(
            patient_id=p["id"],
            first_name=p["first"],
            last_name=p.get("last", "Patient"),
            email=p.get("email"),
            phone=p.get("phone"),
            timezone="America/Chicago",
            consents=Consents(sms=bool(p.get("phone"))),
            treatment_stage="HYGIENE_RECALL",
            created_at=NOW - timedelta(days=900),
            recall_interval_months=p.get("recall_interval_months"),
            preferred_language=p.get("language"),
        )
        visit = AppointmentUpdated(
            appointment_id=f"{p['id']}-visit",
            patient_id=p["id"],
            status=AppointmentStatus.COMPLETED,
            scheduled_at=NOW - timedelta(days=p["days_since_visit"]),
            value_cents=15_000,
        )
        for data in (profile, visit):
            events.append(Envelope.wrap(data, source="clinic-pms", clinic_id=clinic, at=NOW))
    producer = make_producer(stack.settings)
    await producer.start()
    try:
        await EventPublisher(stack.settings, producer).publish_many(events)
    finally:
        await producer.stop()


async def known_patients(stack: ConsoleStack, clinic: str) -> int:
    """How many of the clinic's patients audience-svc has folded (everyone ever seen)."""
    estimate = await stack.graphql(
        "{ audienceEstimate(targeting: {inactiveDays: 1}) "
        "{ ... on AudienceEstimate { patients } } }",
        clinic=clinic,
    )
    return estimate["audienceEstimate"].get("patients") or 0


async def until_known(stack: ConsoleStack, clinic: str, patients: int) -> None:
    """Wait until audience-svc has folded the patients just published, so a page that opens
    next counts them all."""

    async def all_known() -> bool:
        return await known_patients(stack, clinic) == patients

    await eventually(all_known, within=30, interval=0.3)


async def sign_in(
    browser: Browser, stack: ConsoleStack, role: str, clinic: str = CLINIC, url: str | None = None
) -> Page:
    """A fresh browser context signed in by pasting a token, as production does."""
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None,
    )
    page.problems = problems  # type: ignore[attr-defined]
    await page.goto(f"{url or stack.url}/console/")
    await page.get_by_label("Access token", exact=True).fill(stack.token(role, clinic))
    await page.get_by_role("button", name="Sign in with token").click()
    await page.get_by_test_id("me").wait_for(timeout=SHOWN_WITHIN_MS)
    return page


async def axe_violations(page: Page) -> list[str]:
    """Serious and critical accessibility violations axe-core (console/node_modules) finds."""
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        # evaluated over the DevTools protocol: the page's CSP allows no inline script
        await page.evaluate(AXE.read_text(encoding="utf-8"))
    results = await page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


async def focus_misses(page: Page, controls: list[Locator], presses: int = 150) -> list[str]:
    """The controls that never had the focus while Tab was pressed from the top of the page
    (a keyboard user's way through it): none, when every one is reachable."""
    handles = [await control.element_handle(timeout=SHOWN_WITHIN_MS) for control in controls]
    reached = [False] * len(handles)
    for _ in range(presses):
        await page.keyboard.press("Tab")
        focused = await page.evaluate("(els) => els.indexOf(document.activeElement)", handles)
        if focused >= 0:
            reached[focused] = True
        if all(reached):
            break
    return [str(control) for control, was in zip(controls, reached, strict=True) if not was]


async def screenshot(page: Page, name: str) -> None:
    """docs/console/NAME.png at 1280x800, when CONSOLE_SCREENSHOTS=1 (the README shows them)."""
    if os.environ.get("CONSOLE_SCREENSHOTS") != "1":
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
