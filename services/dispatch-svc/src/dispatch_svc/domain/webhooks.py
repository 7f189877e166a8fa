"""Outbound webhooks: a clinic's https endpoints for chosen events, signed deliveries, retries
with backoff for a day. Pure rules: no I/O.

Signing follows Stripe's scheme, so receivers reuse what they know: the header
`Reengage-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, the secret
being the endpoint's own (`whsec_...`, shown once when the endpoint is created). A receiver
recomputes v1 over the raw body, compares in constant time and refuses a `t` older than its
tolerance (5 minutes), which stops replays.
"""

import hashlib
import hmac
import ipaddress
import json
import secrets
from collections.abc import Iterator
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel

from reengage_common.error_codes import field_problems
from reengage_common.events import RecipientResponded, ResponseKind

SIGNATURE_HEADER = "Reengage-Signature"
URL_MAX_LENGTH = 2000
DESCRIPTION_MAX_LENGTH = 200
MAX_ENDPOINTS_PER_CLINIC = 20
# Retries: 30 s, 2 min, 8 min, 32 min, 2 h 8 min, then every 4 hours, for a day after the
# event; a delivery still failing then is given up (and shown as such).
FIRST_RETRY = timedelta(seconds=30)
RETRY_FACTOR = 4
LONGEST_WAIT = timedelta(hours=4)
RETRY_FOR = timedelta(hours=24)


class WebhookEvent(StrEnum):
    RESPONDED = "patient.responded"
    REBOOKED = "patient.rebooked"
    UNSUBSCRIBED = "patient.unsubscribed"


# A ping the clinic sends itself from the console or API; every endpoint receives it.
TEST_EVENT = "webhook.test"
EVENT_OF_KIND = {
    ResponseKind.INTERESTED: WebhookEvent.RESPONDED,
    ResponseKind.NOT_INTERESTED: WebhookEvent.RESPONDED,
    ResponseKind.REBOOKED: WebhookEvent.REBOOKED,
    ResponseKind.UNSUBSCRIBED: WebhookEvent.UNSUBSCRIBED,
}


class InvalidEndpoint(ValueError):
    """`problems` name each bad field: (field, message, code)."""

    def __init__(self, problems: list[tuple[str, str, str]]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message, _ in problems))
        self.problems = problems


class EndpointInput(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    url: str
    events: list[WebhookEvent]
    description: str | None = None
    enabled: bool = True


def parse_endpoint(document: Any, *, allow_private_hosts: bool) -> EndpointInput:
    """Read a create or replace request, or raise InvalidEndpoint naming each bad field."""
    try:
        endpoint = EndpointInput.model_validate_json(json.dumps(document), strict=True)
    except ValidationError as exc:
        raise InvalidEndpoint(
            [(p.field, p.message, p.code) for p in field_problems(exc, "endpoint")]
        ) from exc
    problems = [
        *_url_problems(endpoint.url, allow_private_hosts),
        *_event_problems(endpoint.events),
    ]
    if endpoint.description is not None and len(endpoint.description) > DESCRIPTION_MAX_LENGTH:
        problems.append(("description", f"at most {DESCRIPTION_MAX_LENGTH} characters", "TOO_LONG"))
    if problems:
        raise InvalidEndpoint(problems)
    return endpoint


def _url_problems(url: str, allow_private_hosts: bool) -> Iterator[tuple[str, str, str]]:
    if len(url) > URL_MAX_LENGTH:
        yield ("url", f"at most {URL_MAX_LENGTH} characters", "TOO_LONG")
        return
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        yield ("url", "is not a URL", "INVALID")
        return
    if parts.scheme != "https":
        yield ("url", "must start with https:// (deliveries carry patient events)", "NOT_HTTPS")
    elif not host:
        yield ("url", "names no host", "INVALID")
    elif parts.username or parts.password:
        yield ("url", "must not carry a user name or password; deliveries are signed", "INVALID")
    elif not allow_private_hosts and _private(host):
        yield ("url", "must be a public address, not this network's", "INVALID")


def _private(host: str) -> bool:
    """localhost, or an address literal of a loopback, private, link-local or reserved range
    (a name is resolved only when delivering: see the service README's note on SSRF)."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return not address.is_global


def _event_problems(events: list[WebhookEvent]) -> Iterator[tuple[str, str, str]]:
    if not events:
        yield ("events", "choose at least one event", "REQUIRED")
    for index, event in enumerate(events):
        if event in events[:index]:
            yield (f"events.{index}", f"{event} is listed twice", "DUPLICATE")


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def masked(secret: str) -> str:
    """What lists show of a secret: enough to tell two apart, too little to sign with."""
    return secret[:10] + "..." + secret[-4:]


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The `Reengage-Signature` header's value for `body` sent at `timestamp`."""
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def event_payload(envelope_id: str, clinic_id: str, event: RecipientResponded) -> dict[str, Any]:
    """What an endpoint receives for a response: ids and facts, no patient contact details."""
    return {
        "id": envelope_id,
        "type": EVENT_OF_KIND[event.kind].value,
        "clinicId": clinic_id,
        "createdAt": event.at.isoformat(),
        "data": {
            "campaignId": event.campaign_id,
            "patientId": event.patient_id,
            "kind": event.kind.value,
            "channel": event.channel.value if event.channel else None,
            "appointmentId": event.appointment_id,
            "revenueCents": event.revenue_cents,
            "at": event.at.isoformat(),
        },
    }


def test_payload(delivery_id: str, clinic_id: str, at: datetime) -> dict[str, Any]:
    return {
        "id": delivery_id,
        "type": TEST_EVENT,
        "clinicId": clinic_id,
        "createdAt": at.isoformat(),
        "data": {"message": "A test delivery from your re-engagement campaigns"},
    }


def wanted(events: list[str], event_type: str) -> bool:
    return event_type == TEST_EVENT or event_type in events


def next_attempt_at(created_at: datetime, attempts: int, now: datetime) -> datetime | None:
    """When to try again after `attempts` failed ones; None once a day since the event has
    passed (the delivery is given up)."""
    wait = min(FIRST_RETRY * RETRY_FACTOR ** (attempts - 1), LONGEST_WAIT)
    due = now + wait
    return due if due <= created_at + RETRY_FOR else None


def succeeded(status_code: int | None) -> bool:
    """Only a 2xx answer delivers; a redirect is not followed (the endpoint moved: update it)."""
    return status_code is not None and 200 <= status_code < 300
