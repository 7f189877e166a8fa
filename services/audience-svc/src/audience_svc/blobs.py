"""Compressed JSON in a BSON binary field: how the projection stores many patients in one record."""

import json
import zlib
from typing import Any

from bson import Binary


def pack(value: Any) -> Binary:
    return Binary(zlib.compress(json.dumps(value, separators=(",", ":")).encode(), 1))


def unpack(blob: bytes) -> Any:
    return json.loads(zlib.decompress(blob))
