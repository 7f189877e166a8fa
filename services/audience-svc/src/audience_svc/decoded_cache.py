"""Decoded shard blobs kept by a replica, least recently used first out, within a size.

Decoding a shard (zlib + JSON into dicts) is most of an estimate's read, so each replica keeps
what it decoded; without a bound that is every generation of every clinic it ever read. The
size counts the stored (compressed) bytes each entry came from: known without walking the
decoded objects, and proportional to them (decoded, an entry takes several times its stored
bytes: the setting's comment says how many).
"""

from collections import OrderedDict
from collections.abc import Hashable
from typing import Any


class DecodedCache:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._entries: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._entries

    def get(self, key: Hashable) -> Any | None:
        """The decoded value, now the most recently used; None if not kept."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        self._entries.move_to_end(key)
        return entry[0]

    def put(self, key: Hashable, value: Any, stored_bytes: int) -> None:
        self.pop(key)
        self._entries[key] = (value, stored_bytes)
        self.bytes += stored_bytes
        # The newest entry stays even alone past the bound: its caller is about to use it.
        while self.bytes > self.max_bytes and len(self._entries) > 1:
            _, (_, evicted) = self._entries.popitem(last=False)
            self.bytes -= evicted

    def pop(self, key: Hashable) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self.bytes -= entry[1]
