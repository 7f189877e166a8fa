"""Outbound webhook rules without I/O: the endpoint's fields, the signature (Stripe's scheme,
checked against an independent computation), the payload, and the retry schedule."""

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from dispatch_svc.domain.webhooks import (
    InvalidEndpoint,
    WebhookEvent,
    event_payload,
    masked,
    new_secret,
    next_attempt_at,
    parse_endpoint,
    sign,
    succeeded,
    wanted,
)
from reengage_common.events import Channel, RecipientResponded, ResponseKind

AT = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)


def problems(document: object, *, allow_private_hosts: bool = False) -> list[tuple[str, str]]:
    with pytest.raises(InvalidEndpoint) as raised:
        parse_endpoint(document, allow_private_hosts=allow_private_hosts)
    return [(field, code) for field, _, code in raised.value.problems]


def test_a_public_https_endpoint_for_chosen_events_is_accepted() -> None:
    endpoint = parse_endpoint(
        {"url": "https://pms.example/hooks", "events": ["patient.rebooked"]},
        allow_private_hosts=False,
    )
    assert endpoint.events == [WebhookEvent.REBOOKED] and endpoint.enabled


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"url": "http://pms.example", "events": ["patient.rebooked"]}, [("url", "NOT_HTTPS")]),
        ({"url": "https://", "events": ["patient.rebooked"]}, [("url", "INVALID")]),
        ({"url": "https://a:b@pms.example", "events": ["patient.rebooked"]}, [("url", "INVALID")]),
        ({"url": "https://127.0.0.1/h", "events": ["patient.rebooked"]}, [("url", "INVALID")]),
        ({"url": "https://10.1.2.3/h", "events": ["patient.rebooked"]}, [("url", "INVALID")]),
        ({"url": "https://localhost/h", "events": ["patient.rebooked"]}, [("url", "INVALID")]),
        ({"url": "https://[::1]/h", "events": ["patient.rebooked"]}, [("url", "INVALID")]),
        ({"url": "https://x.example", "events": []}, [("events", "REQUIRED")]),
        ({"url": "https://x.example", "events": ["nope"]}, [("events.0", "INVALID")]),
        (
            {"url": "https://x.example", "events": ["patient.rebooked", "patient.rebooked"]},
            [("events.1", "DUPLICATE")],
        ),
        ({"url": "https://x.example"}, [("events", "REQUIRED")]),
        ({"url": 5, "events": ["patient.rebooked"]}, [("url", "INVALID_TYPE")]),
        ({"url": "https://x.example", "events": ["patient.rebooked"], "x": 1}, [("x", "INVALID")]),
        (
            {"url": "https://x.example", "events": ["patient.rebooked"], "description": "d" * 201},
            [("description", "TOO_LONG")],
        ),
    ],
)
def test_each_bad_field_is_named(document: dict, expected: list) -> None:
    assert problems(document) == expected


def test_private_hosts_only_where_allowed() -> None:
    document = {"url": "https://127.0.0.1:8443/h", "events": ["patient.rebooked"]}
    assert parse_endpoint(document, allow_private_hosts=True).url == document["url"]


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    body = b'{"id":"e1"}'
    expected = hmac.new(b"whsec_k", b"1764172800." + body, hashlib.sha256).hexdigest()
    assert sign("whsec_k", 1764172800, body) == f"t=1764172800,v1={expected}"


def test_secrets_are_random_and_shown_masked() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_") and len(secret) > 40 and secret != new_secret()
    assert masked(secret).startswith(secret[:10]) and secret[12:-4] not in masked(secret)


def test_a_response_becomes_its_event_without_contact_details() -> None:
    event = RecipientResponded(
        campaign_id="c1",
        patient_id="p1",
        kind=ResponseKind.NOT_INTERESTED,
        channel=Channel.SMS,
        at=AT,
    )
    payload = event_payload("env-1", "clinic-a", event)
    assert payload["type"] == "patient.responded" and payload["id"] == "env-1"
    assert payload["data"]["kind"] == "NOT_INTERESTED" and "email" not in str(payload)
    assert wanted(["patient.responded"], "patient.responded")
    assert not wanted(["patient.rebooked"], "patient.responded")
    assert wanted([], "webhook.test")


def test_retries_back_off_and_end_a_day_after_the_event() -> None:
    now, schedule = AT, []
    attempts = 1
    while (due := next_attempt_at(AT, attempts, now)) is not None:
        schedule.append(due - now)
        now, attempts = due, attempts + 1
    minutes = [int(wait.total_seconds() // 60) for wait in schedule]
    assert minutes == [0, 2, 8, 32, 128, 240, 240, 240, 240, 240]  # the first is 30 s
    assert now - AT < timedelta(hours=24) and attempts == 11


def test_only_a_2xx_delivers() -> None:
    assert succeeded(200) and succeeded(204)
    assert not succeeded(None) and not succeeded(301) and not succeeded(410) and not succeeded(500)
