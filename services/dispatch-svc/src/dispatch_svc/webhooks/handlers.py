"""The clinic's webhook endpoints (commands and reads, the clinic from the token), and the
consumer's part: a delivery for each endpoint that wants a `recipient.responded`."""

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog

from dispatch_svc.domain.webhooks import (
    EVENT_OF_KIND,
    MAX_ENDPOINTS_PER_CLINIC,
    InvalidEndpoint,
    event_payload,
    masked,
    new_secret,
    parse_endpoint,
    test_payload,
    wanted,
)
from dispatch_svc.webhooks import store
from reengage_common.auth import MANAGE_REMINDERS, VIEW_ANALYTICS, Identity
from reengage_common.bus import BatchHandler
from reengage_common.events import Envelope, Event, RecipientResponded

log = structlog.get_logger(__name__)
RECENT_ATTEMPTS = 20


class EndpointNotFound(LookupError):
    def __init__(self, endpoint_id: str) -> None:
        super().__init__(f"webhook endpoint {endpoint_id} not found")


class EndpointChangedConcurrently(Exception):
    """Another save of the endpoint won its next revision."""


@dataclass
class WebhookEndpoints:
    clock: Callable[[], datetime]
    allow_private_hosts: bool
    wake: Callable[[], None] = lambda: None  # the deliverer, for a test delivery

    async def create(self, identity: Identity, body: Any) -> dict[str, Any]:
        """The endpoint with its secret: the only answer that shows it whole."""
        identity.require(MANAGE_REMINDERS)
        endpoint = parse_endpoint(body, allow_private_hosts=self.allow_private_hosts)
        live = [s for _, s in (await store.endpoint_states(identity.clinic_id)).values() if s]
        if len(live) >= MAX_ENDPOINTS_PER_CLINIC:
            raise InvalidEndpoint(
                [("endpoint", f"a clinic has at most {MAX_ENDPOINTS_PER_CLINIC}", "OUT_OF_RANGE")]
            )
        now, endpoint_id = self.clock(), uuid.uuid4().hex
        state = {
            **endpoint.model_dump(mode="json"),
            "secret": new_secret(),
            "createdAt": now.isoformat(),
            "updatedAt": now.isoformat(),
        }
        await store.save_endpoint_revision(identity.clinic_id, endpoint_id, 1, state, now)
        log.info("webhook_endpoint.created", clinic_id=identity.clinic_id, endpoint_id=endpoint_id)
        return {**_shown(endpoint_id, state), "secret": state["secret"]}

    async def replace(self, identity: Identity, endpoint_id: str, body: Any) -> dict[str, Any]:
        identity.require(MANAGE_REMINDERS)
        revision, current = await _current(identity.clinic_id, endpoint_id)
        endpoint = parse_endpoint(body, allow_private_hosts=self.allow_private_hosts)
        state = {
            **current,
            **endpoint.model_dump(mode="json"),
            "updatedAt": self.clock().isoformat(),
        }
        if not await store.save_endpoint_revision(
            identity.clinic_id, endpoint_id, revision + 1, state, self.clock()
        ):
            raise EndpointChangedConcurrently("the endpoint was changed meanwhile; reload it")
        return _shown(endpoint_id, state)

    async def delete(self, identity: Identity, endpoint_id: str) -> None:
        """Deliveries still pending for it are dropped when their turn comes."""
        identity.require(MANAGE_REMINDERS)
        revision, _ = await _current(identity.clinic_id, endpoint_id)
        if not await store.save_endpoint_revision(
            identity.clinic_id, endpoint_id, revision + 1, None, self.clock()
        ):
            raise EndpointChangedConcurrently("the endpoint was changed meanwhile; reload it")

    async def send_test(self, identity: Identity, endpoint_id: str) -> dict[str, Any]:
        """A `webhook.test` delivery to this endpoint, made like any other (signed, retried)."""
        identity.require(MANAGE_REMINDERS)
        await _current(identity.clinic_id, endpoint_id)
        now, event_id = self.clock(), f"test-{uuid.uuid4().hex}"
        delivery_id = f"{endpoint_id}:{event_id}"
        body = json.dumps(test_payload(delivery_id, identity.clinic_id, now), separators=(",", ":"))
        delivery, pending = _records(
            identity.clinic_id, endpoint_id, event_id, "webhook.test", body, now
        )
        await store.store_deliveries([delivery], [pending])
        self.wake()
        return {"deliveryId": delivery_id}


async def read_endpoints(identity: Identity) -> list[dict[str, Any]]:
    identity.require(VIEW_ANALYTICS)
    states = await store.endpoint_states(identity.clinic_id)
    shown = []
    for endpoint_id, (_, state) in states.items():
        if state is not None:
            last = await store.recent_attempts(endpoint_id, 1)
            shown.append({**_shown(endpoint_id, state), "lastAttempt": _last(last)})
    return sorted(shown, key=lambda e: e["createdAt"], reverse=True)


def _last(attempts: list[store.WebhookAttempt]) -> dict[str, Any] | None:
    return attempt_json(attempts[0]) if attempts else None


async def read_endpoint(identity: Identity, endpoint_id: str) -> dict[str, Any]:
    """The endpoint with its last attempts (newest first) and how many deliveries wait."""
    identity.require(VIEW_ANALYTICS)
    _, state = await _current(identity.clinic_id, endpoint_id)
    attempts = await store.recent_attempts(endpoint_id, RECENT_ATTEMPTS)
    waiting = [
        p for p in await store.pending_of(identity.clinic_id) if p.id.startswith(endpoint_id + ":")
    ]
    return {
        **_shown(endpoint_id, state),
        "lastAttempt": _last(attempts),
        "pendingDeliveries": len(waiting),
        "recentAttempts": [attempt_json(a) for a in attempts],
    }


def attempt_json(attempt: store.WebhookAttempt) -> dict[str, Any]:
    return {
        "deliveryId": attempt.delivery_id,
        "eventType": attempt.event_type,
        "attempt": attempt.attempt,
        "at": attempt.at.isoformat(),
        "statusCode": attempt.status_code,
        "error": attempt.error,
        "durationMs": attempt.duration_ms,
        "outcome": attempt.outcome,
        "nextAt": attempt.next_at.isoformat() if attempt.next_at else None,
    }


async def record_responses(envelopes: list[Envelope[RecipientResponded]], now: datetime) -> None:
    """For each response an endpoint of its clinic wants, a delivery (idempotent by event id)."""
    by_clinic: dict[str, list[Envelope[RecipientResponded]]] = {}
    for envelope in envelopes:
        if envelope.data.kind in EVENT_OF_KIND:
            by_clinic.setdefault(envelope.clinic_id, []).append(envelope)
    deliveries: list[dict[str, Any]] = []
    pending: list[dict[str, Any]] = []
    for clinic_id, responses in by_clinic.items():
        endpoints = {
            i: s
            for i, (_, s) in (await store.endpoint_states(clinic_id)).items()
            if s and s["enabled"]
        }
        for envelope in responses:
            event_type = EVENT_OF_KIND[envelope.data.kind].value
            payload = event_payload(envelope.id, clinic_id, envelope.data)
            body = json.dumps(payload, separators=(",", ":"))
            for endpoint_id, state in endpoints.items():
                if wanted(state["events"], event_type):
                    d, p = _records(clinic_id, endpoint_id, envelope.id, event_type, body, now)
                    deliveries.append(d)
                    pending.append(p)
    await store.store_deliveries(deliveries, pending)


def _records(
    clinic_id: str, endpoint_id: str, event_id: str, event_type: str, body: str, now: datetime
) -> tuple[dict[str, Any], dict[str, Any]]:
    delivery_id = f"{endpoint_id}:{event_id}"
    delivery = {
        "_id": delivery_id,
        "endpoint_id": endpoint_id,
        "clinic_id": clinic_id,
        "event_type": event_type,
        "body": body,
        "created_at": now,
    }
    return delivery, {"_id": delivery_id, "clinic_id": clinic_id, "due_at": now, "attempts": 0}


async def _current(clinic_id: str, endpoint_id: str) -> tuple[int, dict[str, Any]]:
    """Another clinic's endpoint is as absent as one never registered."""
    found = (await store.endpoint_states(clinic_id)).get(endpoint_id)
    if found is None or found[1] is None:
        raise EndpointNotFound(endpoint_id)
    return found[0], found[1]


def _shown(endpoint_id: str, state: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": endpoint_id,
        "url": state["url"],
        "events": state["events"],
        "description": state.get("description"),
        "enabled": state["enabled"],
        "secretHint": masked(state["secret"]),
        "createdAt": state["createdAt"],
        "updatedAt": state["updatedAt"],
    }


def with_webhook_deliveries(
    handlers: Mapping[type[Event], BatchHandler], clock: Callable[[], datetime]
) -> dict[type[Event], BatchHandler]:
    """The consumer's handlers, `recipient.responded`'s followed by the webhooks' part: both
    idempotent, so a batch handed over again after a failure changes nothing twice."""
    responded = handlers[RecipientResponded]

    async def and_webhooks(envelopes: list[Envelope[Any]], partition: int) -> None:
        await responded.run(envelopes, partition)
        await record_responses(envelopes, clock())

    return {**handlers, RecipientResponded: BatchHandler(and_webhooks)}
