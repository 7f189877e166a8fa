"""What a process keeps for long is frozen out of the collector's sight; garbage is not."""

import asyncio
import contextlib
import gc
import weakref

from reengage_common.cpu import keep_long_lived_frozen


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


async def test_survivors_are_frozen_and_unreachable_cycles_collected_first() -> None:
    kept = [Node() for _ in range(100)]
    a, b = Node(), Node()
    a.other, b.other = b, a  # a cycle nobody reaches once the names are gone
    gone = weakref.ref(a)
    del a, b
    gc.unfreeze()

    freezer = asyncio.create_task(keep_long_lived_frozen(every=0.01))
    await asyncio.sleep(0.1)
    freezer.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await freezer

    assert gone() is None  # collected, not frozen
    assert gc.get_freeze_count() >= len(kept)
    gc.unfreeze()


async def test_a_thaw_lets_cycles_that_died_while_frozen_be_collected() -> None:
    a, b = Node(), Node()
    a.other, b.other = b, a
    gc.collect()
    gc.freeze()
    gone = weakref.ref(a)
    del a, b  # garbage now, but frozen: no collection sees it
    gc.collect()
    assert gone() is not None

    freezer = asyncio.create_task(keep_long_lived_frozen(every=0.01, thaw_every=0.0))
    await asyncio.sleep(0.1)
    freezer.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await freezer

    assert gone() is None
    gc.unfreeze()
