"""Facts: what tracking-svc learned, one immutable record each, with a unique key.

A recipient's state and a campaign's figures are folded from facts, so the same facts in any
order, any number of times, give the same answer. Facts are stored as compact JSON strings
inside page documents (see `store.FactPage`): FerretDB's cost is per stored field, and one
string per fact reads ~10x faster than one sub-document per fact.
"""

import hashlib
from datetime import UTC, datetime
from typing import Any, NamedTuple

from reengage_common import codec

# Patients of a campaign are spread over this many buckets: a page of the recipients listing
# reads one bucket's facts, not the whole campaign's.
BUCKETS = 8
CAMPAIGN_LEVEL = -1  # the bucket of facts about the whole campaign (audience.evaluated)

DUE = "DUE"
HELD = "HELD"
EVALUATED = "EVAL"
SENT = "SENT"
DELIVERED = "DLV"
RESPONSE = "RESP"
HOLDOUT_BOOKED = "HOB"
CANCELLED = "CXL"
REPLY = "REPLY"


class Fact(NamedTuple):
    """A tuple, not a dataclass: a campaign's stats decode ~200,000 of them per query."""

    kind: str
    key: str  # unique: the same key always carries the same fact
    patient_id: str
    at: str  # ISO 8601 UTC with microseconds, so strings sort as times
    data: dict[str, Any] = {}  # never mutated

    def encode(self) -> str:
        return codec.encode_sorted_text(
            {**self.data, "k": self.kind, "id": self.key, "p": self.patient_id, "at": self.at}
        )

    @staticmethod
    def decode(raw: str) -> "Fact":
        # `data` keeps k/id/p/at too: cheaper than removing them, and encode() rewrites them.
        document = codec.decode(raw)
        return Fact(document["k"], document["id"], document["p"], document["at"], document)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def bucket_of(patient_id: str) -> int:
    return hashlib.blake2b(patient_id.encode(), digest_size=2).digest()[0] % BUCKETS


def unique(raw: list[str]) -> dict[str, tuple[str, Fact]]:
    """{fact key: (its string, the fact)}, one per key: a redelivered batch stores its facts
    again in another page, and the repeat is dropped here."""
    seen: dict[str, tuple[str, Fact]] = {}
    for item in set(raw):  # a redelivered fact is the very same string
        fact = Fact.decode(item)
        held = seen.get(fact.key)
        # Two facts with one key are the same fact; keep one by a rule that ignores order.
        if held is None or item < held[0]:
            seen[fact.key] = (item, fact)
    return seen


def unique_facts(raw: list[str]) -> list[Fact]:
    """Decode and drop repeats (see `unique`)."""
    return [fact for _, fact in unique(raw).values()]
