"""Which shards a replica sends and its share of the rate limits, as the rebalances say."""

from dispatch_svc.sender.shards import Shards
from dispatch_svc.sender.slots import limiter_at


def test_shards_follow_the_message_due_partitions_of_each_rebalance() -> None:
    shards = Shards("message.due", total=6)
    changes: list[frozenset[int]] = []
    shards.on_change = lambda: changes.append(shards.owned)

    shards.assigned(frozenset({("message.due", 0), ("message.due", 3), ("message.sent", 1)}))
    assert shards.owned == {0, 3} and shards.settled and shards.share() == 2 / 6
    # an eager rebalance: everything revoked, then the new assignment
    shards.revoked(frozenset({("message.due", 0), ("message.due", 3), ("message.sent", 1)}))
    assert shards.owned == frozenset() and not shards.settled
    shards.assigned(frozenset({("message.due", 3), ("message.due", 4)}))
    assert shards.owned == {3, 4} and shards.settled
    assert changes == [frozenset({0, 3}), frozenset(), frozenset({3, 4})]
    assert shards.holds(4) and not shards.holds(0)


def test_a_replicas_rate_is_its_share_of_the_platforms() -> None:
    half = limiter_at(10 * 0.5)
    assert half is not None and (half.max_rate, half.time_period) == (5.0, 1.0)
    slow = limiter_at(0.5)  # one every two seconds
    assert slow is not None and (slow.max_rate, slow.time_period) == (1.0, 2.0)
    assert limiter_at(0.0) is None
