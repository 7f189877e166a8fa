"""Compressed JSON in a BSON binary field: how the projection stores many patients in one record."""

import gc
import json
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bson import Binary


def pack(value: Any) -> Binary:
    return Binary(zlib.compress(json.dumps(value, separators=(",", ":")).encode(), 1))


def unpack(blob: bytes) -> Any:
    return json.loads(zlib.decompress(blob))


@contextmanager
def without_gc() -> Iterator[None]:
    """Around CPU-only work that allocates many objects (decoding, folding, evaluating): the
    cyclic collector would otherwise walk every cached shard again and again. No await inside."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
