"""Compressed JSON in a BSON binary field: how the projection stores many patients in one record."""

import zlib
from typing import Any

from bson import Binary

from reengage_common import codec


def pack(value: Any) -> Binary:
    return Binary(zlib.compress(codec.encode(value), 1))


def unpack(blob: bytes) -> Any:
    return codec.decode(zlib.decompress(blob))
