"""A fixed clock for the message tests: "8 months ago" must mean the same thing every day."""

from datetime import UTC, datetime

import pytest

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def now() -> datetime:
    return NOW
