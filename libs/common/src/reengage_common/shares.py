"""Work spread over the replicas of a service by the partitions its consumer owns.

A replica's share is the partitions of one topic that the consumer group gave its consumer.
Work keyed by partition (dispatch sends the messages of the `message.due` partitions it owns)
uses them directly; work keyed by clinic or campaign (audience's projection compaction,
tracking's snapshot folding) belongs to the replica owning partition `crc32(key) % partitions`
of the topic the service follows.

Why partitions rather than leases of our own: the group already knows the live replicas and
balances partitions over them, moving them when one joins, stops or dies, with no heartbeat
records to write (updates do not batch on FerretDB); and for work keyed by partition the
consumer that stores a key's records is in the process that acts on them. A rebalance revokes
every partition before it assigns any (aiokafka's eager protocol), so a replica stops before
another one starts; one paused past its session timeout may still act while the new owner
starts, and what each kind of work writes is won by unique inserts (send claims, snapshot
generations), so the two never both succeed.

Provider rate limits are the platform's, not a replica's: a replica takes the share of them
its partitions are of all partitions (`share`), so the replicas together keep to the limit.
"""

import zlib
from collections.abc import Callable
from typing import Protocol

from reengage_common.bus import Assignment


class Holding(Protocol):
    """What a writer checks just before it writes: a `Lease`, or a key's `KeyHolding`."""

    def held(self) -> bool: ...


class PartitionShare:
    """The partitions of `topic` this process's consumer owns, as the rebalances say."""

    def __init__(self, topic: str, total: int) -> None:
        self.topic = topic  # the logical topic ("message.due")
        self.total = max(1, total)
        self.owned: frozenset[int] = frozenset()
        # between a revocation and the assignment that follows it: the set is not final yet,
        # so nothing is dropped, loaded or started meanwhile
        self.settled = False
        self.generation = 0  # moves at each change: stored with claims, for the audit trail
        self.on_change: Callable[[], None] = lambda: None

    def revoked(self, partitions: Assignment) -> None:
        mine = self._of_topic(partitions)
        if mine:
            self.owned -= mine
            self.generation += 1
        self.settled = False
        self.on_change()

    def assigned(self, partitions: Assignment) -> None:
        self.owned |= self._of_topic(partitions)
        self.generation += 1
        self.settled = True
        self.on_change()

    def holds(self, partition: int) -> bool:
        return partition in self.owned

    def owns_key(self, key: str) -> bool:
        """The work of this clinic or campaign is this replica's (none during a rebalance)."""
        return self.settled and zlib.crc32(key.encode()) % self.total in self.owned

    def holding(self, key: str) -> "KeyHolding":
        """What a compactor checks before each write of `key`'s work, as it would a lease."""
        return KeyHolding(self, key)

    def share(self) -> float:
        """This replica's part of the work (and of the platform's rate limits)."""
        return len(self.owned) / self.total

    def _of_topic(self, partitions: Assignment) -> frozenset[int]:
        return frozenset(partition for topic, partition in partitions if topic == self.topic)


class KeyHolding:
    """A key's work while this replica owns it: `held()` as a `Lease` has it."""

    def __init__(self, share: PartitionShare, key: str) -> None:
        self._share, self._key = share, key

    def held(self) -> bool:
        return self._share.owns_key(self._key)
