import base64
import os
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from reengage_common.events import Channel
from reengage_common.messages.links import (
    BOOKING_CLICK,
    LINK_MAX_AGE,
    UNSUBSCRIBE,
    BadLinkToken,
    LinkClaims,
    _cipher,
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


def test_a_token_shows_no_ids_and_differs_every_time(now: datetime) -> None:
    first = make_link_token(SECRET, CLAIMS, UNSUBSCRIBE, now=now)
    second = make_link_token(SECRET, CLAIMS, UNSUBSCRIBE, now=now)

    raw = base64.urlsafe_b64decode(first + "=" * (-len(first) % 4))
    for claim in (CLAIMS.message_id, CLAIMS.campaign_id, CLAIMS.patient_id, CLAIMS.clinic_id):
        assert claim.encode() not in raw and claim not in first
    assert first != second
    assert read_link_token(SECRET, second, UNSUBSCRIBE, now=now) == CLAIMS


def test_a_clinic_revokes_the_links_made_before_a_moment(now: datetime) -> None:
    old = make_link_token(SECRET, CLAIMS, BOOKING_CLICK, now=now - timedelta(days=2))
    new = make_link_token(SECRET, CLAIMS, BOOKING_CLICK, now=now)
    theirs = make_link_token(
        SECRET, LinkClaims("m-2", "c-2", "p-2", "clinic-b"), BOOKING_CLICK, now=now
    )
    revoked = {"clinic-a": now - timedelta(days=1), "clinic-b": now - timedelta(days=1)}

    with pytest.raises(BadLinkToken) as refused:
        read_link_token(SECRET, old, BOOKING_CLICK, now=now, revoked_before=revoked)

    assert refused.value.reason == "revoked" and not refused.value.expired
    assert read_link_token(SECRET, new, BOOKING_CLICK, now=now, revoked_before=revoked)
    assert read_link_token(SECRET, theirs, BOOKING_CLICK, now=now, revoked_before=revoked)
    assert read_link_token(SECRET, old, BOOKING_CLICK, now=now, revoked_before={})


def test_a_token_is_url_safe_and_short_enough_for_an_sms(now: datetime) -> None:
    link = booking_link(BASE, SECRET, CLAIMS, now=now)

    assert len(link) < 200
    assert all(char.isalnum() or char in "-_.:/" for char in link)


@pytest.mark.parametrize(
    "spoil",
    [
        lambda token: token[:-2] + ("AA" if token[-2:] != "AA" else "BB"),  # tag edited
        lambda token: token[:20] + ("x" if token[20] != "x" else "y") + token[21:],  # claims
        lambda token: token[:-8],  # cut short
        lambda token: "not-a-token",
        lambda token: "!!" + token,
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


def seal(plain: bytes, purpose=UNSUBSCRIBE) -> str:
    """A token of our key over any plaintext (what only a holder of LINK_SECRET could make)."""
    nonce = os.urandom(12)
    sealed = b"\x01" + nonce + _cipher(SECRET, purpose).encrypt(nonce, plain, b"\x01")
    return base64.urlsafe_b64encode(sealed).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "fields",
    [
        ["m-1", "c-1", "p-1", "clinic-a", ""],  # no channel
        ["m-1", "c-1", "p-1", "clinic-a", "FAX"],
        ["m-1", "c-1", "p-1", "", "SMS"],
        ["m-1", "c-1", "p-1", "clinic-a", "SMS", "a@example.com"],
        ["m-1"],
    ],
)
def test_sealed_claims_of_another_shape_are_malformed(fields: list[str]) -> None:
    token = seal(b"\x00\x00\x00\x01" + "\x1f".join(fields).encode())

    with pytest.raises(BadLinkToken) as refused:
        read_link_token(SECRET, token, UNSUBSCRIBE)

    assert refused.value.reason == "malformed"


def test_another_spelling_of_a_genuine_token_is_refused(now: datetime) -> None:
    # The last character carries padding bits the base64 decoder ignores: a token whose length
    # leaves them is spelled another way with the same bytes, and only the made one opens.
    token = next(
        t
        for _ in range(64)
        if len(t := make_link_token(SECRET, CLAIMS, UNSUBSCRIBE, now=now)) % 4 in (2, 3)
    )
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    respelled = token[:-1] + alphabet[alphabet.index(token[-1]) ^ 1]  # a padding bit flipped
    padding = "=" * (-len(token) % 4)
    assert base64.urlsafe_b64decode(respelled + padding) == base64.urlsafe_b64decode(
        token + padding
    )

    with pytest.raises(BadLinkToken) as refused:
        read_link_token(SECRET, respelled, UNSUBSCRIBE, now=now)

    assert refused.value.reason == "tampered"
