from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from itsdangerous import URLSafeTimedSerializer

from reengage_common.events import Channel
from reengage_common.messages.links import (
    BOOKING_CLICK,
    LINK_MAX_AGE,
    UNSUBSCRIBE,
    BadLinkToken,
    LinkClaims,
    booking_link,
    make_link_token,
    read_link_token,
    unsubscribe_link,
)

SECRET = "link-secret-for-tests-0123456789abcdef"
BASE = "https://go.bright-smiles.example"
CLAIMS = LinkClaims(
    message_id="8d1e5c2a-4f1b-5e0a-9c3d-1a2b3c4d5e6f",
    campaign_id="665f1c2e9b1d4a0012345678",
    patient_id="p-1001",
    clinic_id="clinic-a",
    channel=Channel.EMAIL,
)


def test_an_unsubscribe_link_reads_back_its_claims(now: datetime) -> None:
    link = unsubscribe_link(BASE + "/", SECRET, CLAIMS, now=now)

    assert link.startswith(f"{BASE}/u/")
    token = link.removeprefix(f"{BASE}/u/")
    assert read_link_token(SECRET, token, UNSUBSCRIBE, now=now) == CLAIMS


def test_a_booking_link_reads_back_its_claims_without_a_channel(now: datetime) -> None:
    link = booking_link(BASE, SECRET, CLAIMS, now=now)

    assert link.startswith(f"{BASE}/b/")
    token = link.removeprefix(f"{BASE}/b/")
    assert read_link_token(SECRET, token, BOOKING_CLICK, now=now) == LinkClaims(
        CLAIMS.message_id, CLAIMS.campaign_id, CLAIMS.patient_id, CLAIMS.clinic_id
    )


def test_a_token_carries_only_the_named_claims(now: datetime) -> None:
    token = make_link_token(SECRET, CLAIMS, UNSUBSCRIBE, now=now)

    payload = URLSafeTimedSerializer(SECRET, salt=UNSUBSCRIBE).loads(token)

    assert payload == {
        "m": CLAIMS.message_id,
        "c": CLAIMS.campaign_id,
        "p": CLAIMS.patient_id,
        "cl": CLAIMS.clinic_id,
        "ch": "EMAIL",
    }


def test_a_token_is_url_safe_and_short_enough_for_an_sms(now: datetime) -> None:
    link = booking_link(BASE, SECRET, CLAIMS, now=now)

    assert len(link) < 200
    assert all(char.isalnum() or char in "-_.:/" for char in link)


@pytest.mark.parametrize(
    "spoil",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # signature edited
        lambda token: "x" + token,  # payload edited
        lambda token: token.split(".")[0],  # signature cut off
        lambda token: "not-a-token",
    ],
)
def test_a_tampered_token_is_refused(now: datetime, spoil: Callable[[str], str]) -> None:
    token = make_link_token(SECRET, CLAIMS, UNSUBSCRIBE, now=now)

    with pytest.raises(BadLinkToken) as refused:
        read_link_token(SECRET, spoil(token), UNSUBSCRIBE, now=now)

    assert refused.value.reason == "tampered"
    assert not refused.value.expired


def test_a_token_signed_with_another_secret_is_refused(now: datetime) -> None:
    token = make_link_token("another-secret-0123456789abcdef-xyz", CLAIMS, UNSUBSCRIBE, now=now)

    with pytest.raises(BadLinkToken, match="tampered"):
        read_link_token(SECRET, token, UNSUBSCRIBE, now=now)


@pytest.mark.parametrize(
    ("made_for", "read_as"), [(UNSUBSCRIBE, BOOKING_CLICK), (BOOKING_CLICK, UNSUBSCRIBE)]
)
def test_a_token_for_one_purpose_is_refused_for_the_other(
    now: datetime, made_for: str, read_as: str
) -> None:
    token = make_link_token(SECRET, CLAIMS, made_for, now=now)  # type: ignore[arg-type]

    with pytest.raises(BadLinkToken, match="tampered"):
        read_link_token(SECRET, token, read_as, now=now)  # type: ignore[arg-type]


def test_a_token_is_valid_for_sixty_days_at_least(now: datetime) -> None:
    token = make_link_token(SECRET, CLAIMS, BOOKING_CLICK, now=now - timedelta(days=60))

    assert read_link_token(SECRET, token, BOOKING_CLICK, now=now).patient_id == "p-1001"


def test_an_expired_token_is_refused(now: datetime) -> None:
    token = make_link_token(SECRET, CLAIMS, UNSUBSCRIBE, now=now - LINK_MAX_AGE - timedelta(1))

    with pytest.raises(BadLinkToken) as refused:
        read_link_token(SECRET, token, UNSUBSCRIBE, now=now)

    assert refused.value.expired


def test_the_age_limit_can_be_shortened(now: datetime) -> None:
    token = make_link_token(SECRET, CLAIMS, BOOKING_CLICK, now=now - timedelta(hours=2))

    with pytest.raises(BadLinkToken, match="expired"):
        read_link_token(SECRET, token, BOOKING_CLICK, timedelta(hours=1), now=now)


def test_a_token_made_with_the_real_clock_reads_with_it() -> None:
    token = make_link_token(SECRET, CLAIMS, UNSUBSCRIBE)

    assert read_link_token(SECRET, token, UNSUBSCRIBE) == CLAIMS


def test_an_unsubscribe_link_needs_a_channel(now: datetime) -> None:
    without_channel = LinkClaims("m-1", "c-1", "p-1", "clinic-a")

    with pytest.raises(ValueError, match="channel"):
        unsubscribe_link(BASE, SECRET, without_channel, now=now)


@pytest.mark.parametrize(
    "payload",
    [
        {"m": "m-1", "c": "c-1", "p": "p-1", "cl": "clinic-a"},  # no channel
        {"m": "m-1", "c": "c-1", "p": "p-1", "cl": "clinic-a", "ch": "FAX"},
        {"m": "m-1", "c": "c-1", "p": "p-1", "cl": "", "ch": "SMS"},
        {"m": "m-1", "c": "c-1", "p": "p-1", "cl": "a", "ch": "SMS", "email": "a@example.com"},
        ["m-1"],
    ],
)
def test_signed_claims_of_another_shape_are_malformed(now: datetime, payload: object) -> None:
    token = URLSafeTimedSerializer(SECRET, salt=UNSUBSCRIBE).dumps(payload)

    with pytest.raises(BadLinkToken) as refused:
        read_link_token(SECRET, token, UNSUBSCRIBE)

    assert refused.value.reason == "malformed"
