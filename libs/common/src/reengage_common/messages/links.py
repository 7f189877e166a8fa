"""Links in messages: dispatch-svc makes them, tracking-svc checks them.

A token is opaque: its claims (message, campaign, patient, clinic and, to unsubscribe, the
channel) and the second it was made are encrypted and authenticated with AES-256-GCM under a
key derived (HKDF-SHA256) from LINK_SECRET and the purpose, so a link forwarded or logged for
its 90 days shows no ids, and an unsubscribe token never works as a booking click and back.
Encryption, not a random id looked up on click: a lookup by id is a scan on FerretDB, and the
key alone lets any replica check a token. Links carry no contact data.

Layout (URL-safe base64, no padding): version byte | 12-byte random nonce | ciphertext + tag.
Random nonces are safe for 2^32 tokens per key, far beyond what one LINK_SECRET signs.

Revocation: the checker takes `revoked_before`, a clinic -> moment map; a clinic's tokens made
before its moment are refused ("revoked"), those made after keep working. A dictionary lookup
per click, nothing stored per token.
"""

import base64
import binascii
import os
import struct
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from reengage_common.events import Channel

LinkPurpose = Literal["unsubscribe", "booking-click"]
UNSUBSCRIBE: LinkPurpose = "unsubscribe"
BOOKING_CLICK: LinkPurpose = "booking-click"
# A letter can sit on a kitchen table for weeks; a link must outlive it (60 days at least).
LINK_MAX_AGE = timedelta(days=90)

_PATHS: dict[LinkPurpose, str] = {UNSUBSCRIBE: "u", BOOKING_CLICK: "b"}
_VERSION = b"\x01"
_NONCE_BYTES = 12
_ISSUED = struct.Struct(">I")  # seconds since the epoch, 4 bytes: until 2106
# Claims are joined by the ASCII unit separator, which no id contains (checked when making).
_SEPARATOR = "\x1f"
_CLAIM_COUNT = 5  # message, campaign, patient, clinic, channel ("" for a booking click)
LinkRefusal = Literal["expired", "tampered", "malformed", "revoked"]


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

    def __init__(self, reason: LinkRefusal, detail: str) -> None:
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
    """An opaque token for `purpose`, dated `now` (the current time when not given)."""
    channel = ""
    if purpose == UNSUBSCRIBE:
        if claims.channel is None:
            raise ValueError("an unsubscribe link needs the channel to unsubscribe from")
        channel = claims.channel.value
    fields = [claims.message_id, claims.campaign_id, claims.patient_id, claims.clinic_id]
    if any(not field or _SEPARATOR in field for field in fields):
        raise ValueError("link claims must be non-empty and free of control characters")
    plain = _ISSUED.pack(_timestamp(now)) + _SEPARATOR.join([*fields, channel]).encode()
    nonce = os.urandom(_NONCE_BYTES)
    sealed = _VERSION + nonce + _cipher(secret, purpose).encrypt(nonce, plain, _VERSION)
    return base64.urlsafe_b64encode(sealed).rstrip(b"=").decode()


def read_link_token(
    secret: str,
    token: str,
    purpose: LinkPurpose,
    max_age: timedelta = LINK_MAX_AGE,
    *,
    now: datetime | None = None,
    revoked_before: Mapping[str, datetime] | None = None,
) -> LinkClaims:
    """The claims of a token made for `purpose` at most `max_age` before `now`.

    Raises BadLinkToken: "tampered" when it does not decrypt (another secret, another purpose,
    an edited or cut token), "expired" when it is older, "revoked" when its clinic's tokens
    made before `revoked_before[clinic]` were revoked, "malformed" for claims of another shape.
    """
    issued, claims = _open(secret, token, purpose)
    if _timestamp(now) - issued > max_age.total_seconds():
        raise BadLinkToken("expired", f"older than {max_age.days} days")
    revoked = (revoked_before or {}).get(claims.clinic_id)
    if revoked is not None and issued < revoked.timestamp():
        raise BadLinkToken("revoked", "the clinic revoked its links made before then")
    return claims


def _open(secret: str, token: str, purpose: LinkPurpose) -> tuple[int, LinkClaims]:
    try:
        # validate: the lenient decoder would skip stray characters and accept edited links.
        padded = token + "=" * (-len(token) % 4)
        sealed = base64.b64decode(padded, altchars=b"-_", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadLinkToken("tampered", "not a token") from exc
    # One spelling per token: the last character's low bits are padding the decoder ignores,
    # so another spelling of a genuine link would still decrypt.
    if base64.urlsafe_b64encode(sealed).rstrip(b"=").decode() != token:
        raise BadLinkToken("tampered", "not a token as made")
    if sealed[:1] != _VERSION or len(sealed) < 1 + _NONCE_BYTES + 16 + _ISSUED.size:
        raise BadLinkToken("tampered", "not a token")
    nonce, body = sealed[1 : 1 + _NONCE_BYTES], sealed[1 + _NONCE_BYTES :]
    try:
        plain = _cipher(secret, purpose).decrypt(nonce, body, _VERSION)
    except InvalidTag as exc:
        raise BadLinkToken("tampered", "it does not decrypt") from exc
    (issued,) = _ISSUED.unpack_from(plain)
    return issued, _claims(plain[_ISSUED.size :], purpose)


def _claims(packed: bytes, purpose: LinkPurpose) -> LinkClaims:
    try:
        fields = packed.decode().split(_SEPARATOR)
    except UnicodeDecodeError as exc:
        raise BadLinkToken("malformed", "claims are not text") from exc
    if len(fields) != _CLAIM_COUNT or not all(fields[:4]):
        raise BadLinkToken("malformed", "expected four non-empty ids and a channel")
    message_id, campaign_id, patient_id, clinic_id, channel = fields
    if (purpose == UNSUBSCRIBE) != bool(channel):
        raise BadLinkToken("malformed", "only an unsubscribe link names a channel")
    return LinkClaims(message_id, campaign_id, patient_id, clinic_id, _channel(channel or None))


def _channel(value: str | None) -> Channel | None:
    try:
        return None if value is None else Channel(value)
    except ValueError:
        raise BadLinkToken("malformed", f"unknown channel {value!r}") from None


def _link(public_base_url: str, token: str, purpose: LinkPurpose) -> str:
    return f"{public_base_url.rstrip('/')}/{_PATHS[purpose]}/{token}"


def _timestamp(now: datetime | None) -> int:
    return int(time.time() if now is None else now.timestamp())


# One key per secret and purpose, derived once: HKDF and the AES key schedule per token would
# cost more than the encryption itself (a sender makes ~3,000 tokens a second).
@lru_cache(maxsize=16)
def _cipher(secret: str, purpose: LinkPurpose) -> AESGCM:
    key = HKDF(algorithm=SHA256(), length=32, salt=b"reengage-links", info=purpose.encode()).derive(
        secret.encode()
    )
    return AESGCM(key)
