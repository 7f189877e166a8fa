"""Signed links in messages: dispatch-svc makes them, tracking-svc checks them.

A token is itsdangerous' URL-safe timed serializer over a few compact claims, signed with
LINK_SECRET and a salt per purpose, so an unsubscribe token never works as a booking click and
back. It names the message, campaign, patient and clinic (and, to unsubscribe, the channel) and
nothing else: links are forwarded and logged, so they carry no contact data.
"""

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Literal, cast

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from reengage_common.events import Channel

LinkPurpose = Literal["unsubscribe", "booking-click"]
UNSUBSCRIBE: LinkPurpose = "unsubscribe"
BOOKING_CLICK: LinkPurpose = "booking-click"
# A letter can sit on a kitchen table for weeks; a link must outlive it (60 days at least).
LINK_MAX_AGE = timedelta(days=90)

_PATHS: dict[LinkPurpose, str] = {UNSUBSCRIBE: "u", BOOKING_CLICK: "b"}
# One or two letters per claim keep the link short: it is paid for by the character in an SMS.
_KEYS = {"m": "message_id", "c": "campaign_id", "p": "patient_id", "cl": "clinic_id"}
_CHANNEL_KEY = "ch"


@dataclass(frozen=True)
class LinkClaims:
    """Whom a link is for. `channel` is the channel to unsubscribe from; a booking link has none."""

    message_id: str
    campaign_id: str
    patient_id: str
    clinic_id: str
    channel: Channel | None = None


class BadLinkToken(ValueError):
    """A link token that cannot be trusted; `reason` says why, for the page and the metrics."""

    def __init__(self, reason: Literal["expired", "tampered", "malformed"], detail: str) -> None:
        super().__init__(f"{reason} link token: {detail}")
        self.reason = reason

    @property
    def expired(self) -> bool:
        return self.reason == "expired"


def unsubscribe_link(
    public_base_url: str, secret: str, claims: LinkClaims, *, now: datetime | None = None
) -> str:
    """`{public_base_url}/u/{token}`; `claims.channel` is required."""
    return _link(
        public_base_url, make_link_token(secret, claims, UNSUBSCRIBE, now=now), UNSUBSCRIBE
    )


def booking_link(
    public_base_url: str, secret: str, claims: LinkClaims, *, now: datetime | None = None
) -> str:
    """`{public_base_url}/b/{token}`; `claims.channel` is left out of the token."""
    token = make_link_token(secret, claims, BOOKING_CLICK, now=now)
    return _link(public_base_url, token, BOOKING_CLICK)


def make_link_token(
    secret: str, claims: LinkClaims, purpose: LinkPurpose, *, now: datetime | None = None
) -> str:
    """A signed token for `purpose`, dated `now` (the current time when not given)."""
    payload = {key: getattr(claims, name) for key, name in _KEYS.items()}
    if purpose == UNSUBSCRIBE:
        if claims.channel is None:
            raise ValueError("an unsubscribe link needs the channel to unsubscribe from")
        payload[_CHANNEL_KEY] = claims.channel.value
    serializer, signer = _signing(secret, purpose, _timestamp(now))
    return signer.sign(serializer.dump_payload(payload)).decode()


def read_link_token(
    secret: str,
    token: str,
    purpose: LinkPurpose,
    max_age: timedelta = LINK_MAX_AGE,
    *,
    now: datetime | None = None,
) -> LinkClaims:
    """The claims of a token made for `purpose` at most `max_age` before `now`.

    Raises BadLinkToken: "expired" when it is older, "tampered" when the signature does not
    match (another secret, another purpose, an edited token), "malformed" for signed claims of
    an unknown shape.
    """
    try:
        serializer, _ = _signing(secret, purpose, _timestamp(now))
        payload = serializer.loads(token, max_age=int(max_age.total_seconds()))
    except SignatureExpired as exc:
        raise BadLinkToken("expired", f"older than {max_age.days} days") from exc
    except BadSignature as exc:
        raise BadLinkToken("tampered", "the signature does not match") from exc
    return _claims(payload, purpose)


def _claims(payload: Any, purpose: LinkPurpose) -> LinkClaims:
    expected = {*_KEYS, _CHANNEL_KEY} if purpose == UNSUBSCRIBE else set(_KEYS)
    if not isinstance(payload, dict) or set(payload) != expected:
        raise BadLinkToken("malformed", f"expected the claims {sorted(expected)}")
    if not all(isinstance(value, str) and value for value in payload.values()):
        raise BadLinkToken("malformed", "every claim must be a non-empty string")
    return LinkClaims(
        **{name: payload[key] for key, name in _KEYS.items()},
        channel=_channel(payload.get(_CHANNEL_KEY)),
    )


def _channel(value: str | None) -> Channel | None:
    try:
        return None if value is None else Channel(value)
    except ValueError:
        raise BadLinkToken("malformed", f"unknown channel {value!r}") from None


def _link(public_base_url: str, token: str, purpose: LinkPurpose) -> str:
    return f"{public_base_url.rstrip('/')}/{_PATHS[purpose]}/{token}"


class _ClockedSigner(TimestampSigner):
    """itsdangerous' timestamp signer at a given second (the injected clock's, in tests)."""

    def __init__(self, *args: Any, timestamp: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._timestamp = timestamp

    def get_timestamp(self) -> int:
        return self._timestamp


def _timestamp(now: datetime | None) -> int:
    return int(time.time() if now is None else now.timestamp())


# Tokens are dated to the second, so one serializer and signer per second serve every token
# signed in it (a sender signs ~3,000 a second): built per token, they were 4 of its 14 µs.
@lru_cache(maxsize=16)
def _signing(
    secret: str, purpose: LinkPurpose, timestamp: int
) -> tuple[URLSafeTimedSerializer, TimestampSigner]:
    """The serializer for `purpose` dated `timestamp`, and the signer its `dumps` would build."""
    # The default HMAC-SHA1 keeps the signature at 27 characters; HMAC-SHA1 is still sound.
    serializer = URLSafeTimedSerializer(
        secret, salt=purpose, signer=_ClockedSigner, signer_kwargs={"timestamp": timestamp}
    )
    return serializer, cast(TimestampSigner, serializer.make_signer(purpose))
