"""Outbound webhooks through the gateway's GraphQL to the real dispatch-svc, Kafka and
FerretDB, delivered over real HTTPS to a local receiver that checks each signature with the
documented snippet (docs/features.md): an endpoint gets the events it chose (and only those), signed and once per
event; a failing endpoint is retried with backoff and, a day on, given up; every attempt is
visible; bad input names its field; another clinic's endpoint is absent.

dispatch-svc reads a clock the test holds (retries come due as it moves); the deliverer looks
every 0.1 s.
"""

import json
import re
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from dispatch_svc.app import create_app as dispatch_app
from dispatch_svc.config import DispatchSettings
from gateway.app import create_app as gateway_app
from reengage_common.auth import generate_signing_key, issue_token
from reengage_common.bus import EventPublisher, make_producer
from reengage_common.events import Channel, Envelope, RecipientResponded, ResponseKind
from reengage_common.settings import Settings
from reengage_testing import FakeClock, eventually, serving
from reengage_testing.webhook_receiver import WebhookReceiver, webhook_receiver

pytestmark = pytest.mark.infra

KEY = generate_signing_key()
NOW = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)
FEATURES = Path(__file__).resolve().parents[2] / "docs" / "features.md"

CREATE = """
mutation($input: WebhookEndpointInput!) { createWebhookEndpoint(input: $input) {
  __typename
  ... on CreatedWebhookEndpoint { secret endpoint { id url events secretHint enabled } }
  ... on ValidationError { fields { field message code } }
} }
"""
ENDPOINT = """
query($id: ID!) { webhookEndpoint(id: $id) {
  id pendingDeliveries
  lastAttempt { outcome statusCode }
  recentAttempts { deliveryId eventType attempt statusCode outcome nextAt error }
} }
"""
UPDATE = """
mutation($id: ID!, $input: WebhookEndpointInput!) { updateWebhookEndpoint(id: $id, input: $input) {
  __typename ... on WebhookEndpoint { url events } ... on NotFound { message }
  ... on ValidationError { fields { field code } } } }
"""
TEST = "mutation($id: ID!) { sendTestWebhook(id: $id) { __typename ... on TestWebhookSent { deliveryId } } }"


def documented_verify() -> Callable[..., bool]:
    """The receiver's verification exactly as docs/features.md documents it."""
    text = FEATURES.read_text(encoding="utf-8")
    block = re.search(r"<!-- webhook-verify -->\n```python\n(.*?)```", text, re.S)
    assert block, "the documented webhook verification snippet is missing"
    scope: dict[str, Any] = {}
    exec(block.group(1), scope)
    return scope["verify"]


class Hooks:
    def __init__(
        self, gateway: httpx.AsyncClient, clock: FakeClock, settings: Any, receiver: WebhookReceiver
    ):
        self.gateway, self.clock, self.settings, self.receiver = gateway, clock, settings, receiver

    async def graphql(
        self, document: str, variables: dict[str, Any], clinic: str, role: str = "clinic_admin"
    ) -> dict[str, Any]:
        token = issue_token(KEY, user_id="u-1", clinic_id=clinic, role=role, permissions=None)
        answer = await self.gateway.post(
            "/graphql",
            json={"query": document, "variables": variables},
            headers={"authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    async def register(self, clinic: str, path: str, events: list[str]) -> tuple[str, str]:
        """An endpoint of `clinic` at the receiver's `path`; its id and secret."""
        made = await self.graphql(
            CREATE, {"input": {"url": self.receiver.url + path, "events": events}}, clinic
        )
        created = made["data"]["createWebhookEndpoint"]
        assert created["__typename"] == "CreatedWebhookEndpoint", created
        return created["endpoint"]["id"], created["secret"]

    async def respond(self, clinic: str, *kinds: ResponseKind, twice: bool = False) -> list[str]:
        """tracking-svc's recipient.responded events for one patient of the clinic (one
        partition: handled in order), published twice if asked; their envelope ids."""
        envelopes = [
            Envelope.wrap(
                RecipientResponded(
                    campaign_id="c-1",
                    patient_id="p-1",
                    kind=kind,
                    channel=Channel.SMS,
                    appointment_id="a-9" if kind is ResponseKind.REBOOKED else None,
                    revenue_cents=25_000 if kind is ResponseKind.REBOOKED else 0,
                    at=self.clock.now,
                ),
                source="tracking-svc",
                clinic_id=clinic,
                at=self.clock.now,
            )
            for kind in kinds
        ]
        producer = make_producer(self.settings)
        await producer.start()
        try:
            await EventPublisher(self.settings, producer).publish_many(
                envelopes * 2 if twice else envelopes
            )
        finally:
            await producer.stop()
        return [e.id for e in envelopes]

    def at(self, path: str) -> list[Any]:
        return [r for r in self.receiver.received if r.path == path]

    async def attempts(self, clinic: str, endpoint_id: str) -> dict[str, Any]:
        return (await self.graphql(ENDPOINT, {"id": endpoint_id}, clinic))["data"][
            "webhookEndpoint"
        ]


@pytest.fixture(scope="module")
async def hooks(infra, settings_for, tmp_path_factory) -> AsyncIterator[Hooks]:
    own = uuid.uuid4().hex[:4]
    clock = FakeClock(NOW)

    def settings(service: str, settings_class: type[Settings] = Settings, **more: Any) -> Any:
        return settings_for(
            service,
            settings_class,
            kafka_topic_prefix=f"{infra.kafka_topic_prefix}e2e-webhooks-{own}.",
            mongo_db_prefix=f"{infra.mongo_db_prefix}e2e_webhooks_{own}_",
            jwt_public_key=KEY.public_pem,
            **more,
        )

    async with webhook_receiver(tmp_path_factory.mktemp("receiver")) as receiver:
        dispatch_settings = settings(
            "dispatch-svc",
            DispatchSettings,
            webhook_ca_file=receiver.ca_file,
            webhook_allow_private_hosts=True,
            webhook_tick_seconds=0.1,
        )
        async with serving(dispatch_app(dispatch_settings, clock=clock)) as dispatch:
            transports = {"dispatch-svc": dispatch._transport}
            async with serving(gateway_app(settings("gateway"), transports)) as gateway:
                yield Hooks(gateway, clock, dispatch_settings, receiver)


def verified_with(hooks: Hooks, secret: str) -> None:
    verify = documented_verify()
    hooks.receiver.verify = lambda body, signature: verify(
        secret, body, signature, now=hooks.clock.now.timestamp()
    )


async def test_an_endpoint_receives_the_events_it_chose_signed_once_each(hooks) -> None:
    # given an endpoint for rebookings and unsubscribes, not plain responses
    clinic = f"clinic-hooks-{uuid.uuid4().hex[:6]}"
    endpoint_id, secret = await hooks.register(
        clinic, "/pms/one", ["PATIENT_REBOOKED", "PATIENT_UNSUBSCRIBED"]
    )
    assert secret.startswith("whsec_")
    verified_with(hooks, secret)

    # when the patient responds, rebooks and unsubscribes (each event delivered twice by
    # Kafka), then unsubscribes again later (behind them in the patient's partition)
    ids = await hooks.respond(
        clinic,
        ResponseKind.INTERESTED,
        ResponseKind.REBOOKED,
        ResponseKind.UNSUBSCRIBED,
        twice=True,
    )
    await hooks.respond(clinic, ResponseKind.UNSUBSCRIBED)

    async def all_arrived() -> bool:
        return len(hooks.at("/pms/one")) >= 3

    await eventually(all_arrived, within=30)

    # then it got the rebooking and the two unsubscribes, once each, signed with its secret
    got = hooks.at("/pms/one")
    bodies = [json.loads(r.body) for r in got]
    assert sorted(b["type"] for b in bodies) == [
        "patient.rebooked",
        "patient.unsubscribed",
        "patient.unsubscribed",
    ]
    assert all(r.signed for r in got)
    rebooked = next(b for b in bodies if b["type"] == "patient.rebooked")
    assert rebooked["id"] == ids[1] and rebooked["clinicId"] == clinic
    assert rebooked["data"] == {
        "campaignId": "c-1",
        "patientId": "p-1",
        "kind": "REBOOKED",
        "channel": "SMS",
        "appointmentId": "a-9",
        "revenueCents": 25_000,
        "at": NOW.isoformat(),
    }
    headers = next(r.headers for r in got if json.loads(r.body)["type"] == "patient.rebooked")
    assert headers["reengage-webhook-id"] == f"{endpoint_id}:{ids[1]}"
    assert headers["reengage-event"] == "patient.rebooked"
    assert headers["reengage-signature"].startswith(f"t={int(NOW.timestamp())},v1=")

    # and a body altered on the way, or signed with another secret, does not verify
    verify = documented_verify()
    signature = headers["reengage-signature"]
    body = next(r.body for r in got if json.loads(r.body)["type"] == "patient.rebooked")
    now = NOW.timestamp()
    assert verify(secret, body, signature, now=now)
    assert not verify(secret, body.replace(b"25000", b"99999"), signature, now=now)
    assert not verify("whsec_other", body, signature, now=now)
    assert not verify(secret, body, signature, now=now + 600)  # a replay, 10 minutes on

    # and the attempts show as delivered: once nothing waits, three deliveries in all (the
    # repeated events added none: had they, theirs would have come before the last one's)
    async def nothing_waits() -> bool:
        return (await hooks.attempts(clinic, endpoint_id))["pendingDeliveries"] == 0

    await eventually(nothing_waits, within=30)
    seen = await hooks.attempts(clinic, endpoint_id)
    assert len(hooks.at("/pms/one")) == 3
    assert sorted(
        (a["eventType"], a["outcome"], a["statusCode"]) for a in seen["recentAttempts"]
    ) == [
        ("patient.rebooked", "DELIVERED", 200),
        ("patient.unsubscribed", "DELIVERED", 200),
        ("patient.unsubscribed", "DELIVERED", 200),
    ]


async def test_a_failing_endpoint_is_retried_with_backoff_then_given_up_after_a_day(hooks) -> None:
    # given an endpoint that answers 500 three times, then 200
    clinic = f"clinic-hooks-{uuid.uuid4().hex[:6]}"
    endpoint_id, secret = await hooks.register(clinic, "/pms/flaky", ["PATIENT_REBOOKED"])
    verified_with(hooks, secret)
    hooks.receiver.answer_with(500, 503)
    start = hooks.clock.now

    # when a rebooking comes
    await hooks.respond(clinic, ResponseKind.REBOOKED)

    async def attempts(n: int) -> bool:
        return len(hooks.at("/pms/flaky")) >= n

    await eventually(lambda: attempts(1), within=30)
    seen = await hooks.attempts(clinic, endpoint_id)
    first = seen["recentAttempts"][0]
    # then the failure is shown with when it is tried again: 30 s on
    assert (first["outcome"], first["statusCode"], first["attempt"]) == ("RETRYING", 500, 1)
    assert datetime.fromisoformat(first["nextAt"]) == start + timedelta(seconds=30)
    assert seen["lastAttempt"] == {"outcome": "RETRYING", "statusCode": 500}

    # and nothing is sent again before then; 30 s on it is, and 2 minutes later again
    hooks.clock.now = start + timedelta(seconds=29)
    hooks.clock.now = start + timedelta(seconds=30)
    await eventually(lambda: attempts(2), within=30)
    hooks.clock.now = start + timedelta(seconds=30 + 120)
    await eventually(lambda: attempts(3), within=30)
    got = hooks.at("/pms/flaky")
    assert [r.status for r in got] == [500, 503, 200]
    assert len({r.headers["reengage-webhook-id"] for r in got}) == 1  # one delivery, three tries
    assert all(r.signed for r in got)

    async def delivered() -> bool:
        found = await hooks.attempts(clinic, endpoint_id)
        return found["lastAttempt"] == {"outcome": "DELIVERED", "statusCode": 200}

    await eventually(delivered, within=30)

    # given an endpoint that always fails
    hooks.clock.now = start
    dead_id, dead_secret = await hooks.register(clinic, "/pms/dead", ["PATIENT_UNSUBSCRIBED"])
    verified_with(hooks, dead_secret)
    hooks.receiver.answer_with(*([500] * 50))
    await hooks.respond(clinic, ResponseKind.UNSUBSCRIBED)
    await eventually(lambda: _count(hooks, "/pms/dead", 1), within=30)

    # when a day passes, a step at a time as each retry comes due
    for _ in range(40):
        found = await hooks.attempts(clinic, dead_id)
        last = found["recentAttempts"][0]
        if last["outcome"] == "GAVE_UP":
            break
        hooks.clock.now = datetime.fromisoformat(last["nextAt"])
        tried = len(hooks.at("/pms/dead"))
        await eventually(lambda n=tried: _count(hooks, "/pms/dead", n + 1), within=30)
        await eventually(
            lambda a=last["attempt"]: _attempted(hooks, clinic, dead_id, a + 1), within=30
        )

    # then it was given up within a day of the event, after the backoff's attempts
    found = await hooks.attempts(clinic, dead_id)
    outcomes = [a["outcome"] for a in reversed(found["recentAttempts"])]
    assert outcomes[-1] == "GAVE_UP" and set(outcomes[:-1]) == {"RETRYING"}
    assert hooks.clock.now <= start + timedelta(hours=24)
    assert found["pendingDeliveries"] == 0
    # at 0, 30 s, 2.5 min, 10.5 min, 42.5 min, 2 h 50.5 min, then every 4 h within the day
    assert len(outcomes) == 11, found
    hooks.receiver.answer_with()


async def _count(hooks: Hooks, path: str, n: int) -> bool:
    return len(hooks.at(path)) >= n


async def _attempted(hooks: Hooks, clinic: str, endpoint_id: str, n: int) -> bool:
    found = await hooks.attempts(clinic, endpoint_id)
    return bool(found["recentAttempts"]) and found["recentAttempts"][0]["attempt"] >= n


async def test_a_test_delivery_and_bad_input_and_another_clinic(hooks) -> None:
    clinic = f"clinic-hooks-{uuid.uuid4().hex[:6]}"
    endpoint_id, secret = await hooks.register(clinic, "/pms/ping", ["PATIENT_RESPONDED"])
    verified_with(hooks, secret)

    # a test delivery arrives signed
    sent = (await hooks.graphql(TEST, {"id": endpoint_id}, clinic))["data"]["sendTestWebhook"]
    assert sent["__typename"] == "TestWebhookSent"
    await eventually(lambda: _count(hooks, "/pms/ping", 1), within=30)
    (ping,) = hooks.at("/pms/ping")
    assert json.loads(ping.body)["type"] == "webhook.test" and ping.signed

    # bad input names its field and registers nothing
    for url, events, field, code in [
        ("http://pms.example/hooks", ["PATIENT_REBOOKED"], "url", "NOT_HTTPS"),
        ("https://user:pw@pms.example/h", ["PATIENT_REBOOKED"], "url", "INVALID"),
        ("https://pms.example/h", [], "events", "REQUIRED"),
        (
            "https://pms.example/h",
            ["PATIENT_REBOOKED", "PATIENT_REBOOKED"],
            "events.1",
            "DUPLICATE",
        ),
    ]:
        made = await hooks.graphql(CREATE, {"input": {"url": url, "events": events}}, clinic)
        result = made["data"]["createWebhookEndpoint"]
        assert result["__typename"] == "ValidationError", (url, result)
        assert [(f["field"], f["code"]) for f in result["fields"]] == [(field, code)]
    listed = await hooks.graphql("{ webhookEndpoints { id } }", {}, clinic)
    assert listed["data"]["webhookEndpoints"] == [{"id": endpoint_id}]

    # another clinic neither sees nor changes it; staff may only read
    other = f"clinic-hooks-{uuid.uuid4().hex[:6]}"
    assert (await hooks.graphql(ENDPOINT, {"id": endpoint_id}, other))["data"] == {
        "webhookEndpoint": None
    }
    changed = await hooks.graphql(
        UPDATE,
        {"id": endpoint_id, "input": {"url": "https://x.example", "events": ["PATIENT_REBOOKED"]}},
        other,
    )
    assert changed["data"]["updateWebhookEndpoint"]["__typename"] == "NotFound"
    refused = await hooks.graphql(
        CREATE,
        {"input": {"url": "https://x.example", "events": ["PATIENT_REBOOKED"]}},
        clinic,
        role="staff",
    )
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
