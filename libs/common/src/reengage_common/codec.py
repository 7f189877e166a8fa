"""Compact JSON for what services store as text or compressed blobs, and for hand-made events.

One codec (msgspec's) instead of `json.dumps`/`json.loads`: encoding a 1,600-patient
projection shard took 12.4 ms with the standard library and 0.34 ms with msgspec, decoding it
14.2 and 5.7 ms (measured here, in the same process). In a 100,000-patient send audience-svc's
compactor spent 46 % of its time in `json.dumps`. The output is plain JSON without spaces, so
records written by `json.dumps` before are read the same (non-ASCII characters are now written
as UTF-8 rather than `\\u` escapes: equal once decoded).
"""

from typing import Any

import msgspec

_encoder = msgspec.json.Encoder()
# A value some caller stores as its text form (a datetime, a UUID): as `json.dumps(default=str)`.
_lenient = msgspec.json.Encoder(enc_hook=str)
# Keys sorted at every level, so equal values always give equal text (a digest, a dedupe key).
_sorted = msgspec.json.Encoder(order="sorted")
_decoder = msgspec.json.Decoder()


def encode(value: Any) -> bytes:
    return _encoder.encode(value)


def encode_text(value: Any) -> str:
    return _encoder.encode(value).decode()


def encode_text_lenient(value: Any) -> str:
    """As `encode_text`, with any value JSON has no type for written as its `str()`."""
    return _lenient.encode(value).decode()


def encode_sorted_text(value: Any) -> str:
    return _sorted.encode(value).decode()


def decode(raw: bytes | str) -> Any:
    return _decoder.decode(raw)
