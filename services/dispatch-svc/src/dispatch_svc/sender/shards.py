"""Which messages this replica sends: those of the shards it owns, a shard being a partition of
`message.due`, owned by the replica whose consumer the group gave that partition.

Why partitions rather than shard leases of our own: the consumer that owns a partition is the
one writer of its messages already (the storage rules' "one writer per key"), Kafka's group
balances partitions over the live replicas and moves them when one joins, stops or dies, and
the same process then stores a message and sends it, with no announcement or read back in
between. A rebalance revokes every partition before it assigns any (aiokafka's eager
protocol), so a replica stops claiming a shard's messages before another one starts; a replica
paused past its session timeout may still be sending while the new owner starts, and the
claims (one unique insert per attempt, with an expiry) keep each message sent once.

The provider rate limits are the platform's, not a replica's: each replica takes the share of
them its shards are of all shards (`share`), so the replicas together keep to the limit.
"""

from collections.abc import Callable

from reengage_common.bus import Assignment


class Shards:
    """The `message.due` partitions this process's consumer owns, as the rebalances say."""

    def __init__(self, topic: str, total: int) -> None:
        self.topic = topic  # the logical topic ("message.due")
        self.total = max(1, total)
        self.owned: frozenset[int] = frozenset()
        # between a revocation and the assignment that follows it: the set is not final yet,
        # so the sender neither drops nor loads shards meanwhile
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

    def holds(self, shard: int) -> bool:
        return shard in self.owned

    def share(self) -> float:
        """This replica's part of the platform's rate limits."""
        return len(self.owned) / self.total

    def _of_topic(self, partitions: Assignment) -> frozenset[int]:
        return frozenset(partition for topic, partition in partitions if topic == self.topic)
