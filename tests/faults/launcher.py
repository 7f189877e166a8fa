"""A service process as `python -m <module>` starts it, with two test-only changes made before
the service is imported:

- its clock (`reengage_common.clock.utc_now`, every `create_app`'s default) reads the offset the
  fault suite writes to `FAULTS_CLOCK_FILE`, so days pass in seconds in every process at once;
- while the file `FAULTS_DELIVER_TWICE_FILE` exists (holding a seed), its consumers get every
  poll's records out of order across keys (a key's own records keep their order, as a partition
  promises) and then all of them a second time, as a redelivery after a lost commit would.

    python tests/faults/launcher.py dispatch_svc
"""

import os
import random
import runpy
import sys
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import ConsumerRecord, TopicPartition

import reengage_common.clock
from reengage_common.bus import EventConsumer

# The offset is re-read at most this often: the sender asks for the time many times a tick.
CLOCK_REREAD_SECONDS = 0.05


class OffsetClock:
    """Real time plus the offset (seconds) held in a file the test rewrites to jump ahead."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._offset = timedelta(0)
        self._read_at = 0.0

    def __call__(self) -> datetime:
        now = time.monotonic()
        if now - self._read_at > CLOCK_REREAD_SECONDS:
            self._read_at = now
            try:
                with open(self._path) as held:
                    self._offset = timedelta(seconds=float(held.read().strip() or 0))
            except (OSError, ValueError):
                pass  # mid-rewrite or gone: keep the last offset read
        return datetime.now(UTC) + self._offset


def shuffled_across_keys(
    records: list[ConsumerRecord[bytes, bytes]], chance: random.Random
) -> list[ConsumerRecord[bytes, bytes]]:
    """The records in a random interleaving of their keys, each key's records in order."""
    by_key: dict[bytes | None, list[ConsumerRecord[bytes, bytes]]] = defaultdict(list)
    for record in records:
        by_key[record.key].append(record)
    queues = list(by_key.values())
    out: list[ConsumerRecord[bytes, bytes]] = []
    while queues:
        queue = chance.choice(queues)
        out.append(queue.pop(0))
        if not queue:
            queues.remove(queue)
    return out


def _flag_seed(flag: str) -> str | None:
    try:
        with open(flag) as held:
            return held.read().strip()
    except OSError:
        return None


def deliver_twice_while(flag: str) -> None:
    original = EventConsumer._handle_partition_batch
    chances: dict[str, random.Random] = {}

    async def twice(
        self: EventConsumer,
        partition: TopicPartition,
        records: list[ConsumerRecord[bytes, bytes]],
    ) -> None:
        seed = _flag_seed(flag)
        if seed is None:
            await original(self, partition, records)
            return
        if seed not in chances:  # once per run: the log shows the fault was on
            print(f"faults: every event delivered twice from now (seed {seed})", flush=True)
            chances[seed] = random.Random(f"{seed}/{os.getpid()}")
        chance = chances[seed]
        await original(self, partition, shuffled_across_keys(records, chance))
        await original(self, partition, records)

    handle: Callable[..., Awaitable[Any]] = twice
    EventConsumer._handle_partition_batch = handle  # type: ignore[method-assign]


def main() -> None:
    module = sys.argv[1]
    reengage_common.clock.utc_now = OffsetClock(os.environ["FAULTS_CLOCK_FILE"])
    if os.environ.get("FAULTS_DELIVER_TWICE_FILE"):
        deliver_twice_while(os.environ["FAULTS_DELIVER_TWICE_FILE"])
    sys.argv = [module]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
