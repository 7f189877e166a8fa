"""The one notion of "now" every service takes: a `Clock` is any callable answering an aware UTC
datetime. Services default to `utc_now`; tests pass `reengage_testing.FakeClock` to simulate
days, send windows and expiries."""

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)
