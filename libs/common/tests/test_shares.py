"""Which shards a replica sends and its share of the rate limits, as the rebalances say."""

from reengage_common.shares import PartitionShare


def test_shards_follow_the_message_due_partitions_of_each_rebalance() -> None:
    shards = PartitionShare("message.due", total=6)
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


def test_keyed_work_goes_to_exactly_one_replica_of_the_group() -> None:
    replicas = [PartitionShare("patient.upserted", total=6) for _ in range(3)]
    for n, share in enumerate(replicas):
        share.assigned(frozenset({("patient.upserted", n), ("patient.upserted", n + 3)}))
    clinics = [f"clinic-{n}" for n in range(300)]
    owners = [[n for n, share in enumerate(replicas) if share.owns_key(c)] for c in clinics]
    assert all(len(owner) == 1 for owner in owners)
    per_replica = [sum(1 for owner in owners if owner == [n]) for n in range(3)]
    assert min(per_replica) > 60, per_replica  # ~100 each
    holding = replicas[owners[0][0]].holding(clinics[0])
    assert holding.held()
    replicas[owners[0][0]].revoked(frozenset({("patient.upserted", 0), ("patient.upserted", 3)}))
    assert not holding.held(), "nothing is held during a rebalance"
