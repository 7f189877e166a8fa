"""Outcomes stored by group commit: one insert per campaign per flush, carrying the outcomes
and their events (`message.sent`, the next step's `message.due`) as one outbox record.

A sender slot waits until its outcome is stored before taking the next message, so at any
instant at most `concurrency` messages have reached a provider without a stored outcome: the
most a crash can make us send twice.
"""

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog

from dispatch_svc import store

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class StoredOutcome:
    """One message's outcome and the events it implies."""

    message_id: str
    campaign_id: str
    clinic_id: str
    channel: str
    outcome: str
    reason: str | None
    attempt: int
    provider_message_id: str | None
    events: list[dict[str, Any]]  # envelope documents
    provider: str | None = None
    retried: bool = False

    def record(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"m": self.message_id, "o": self.outcome, "a": self.attempt}
        if self.reason:
            entry["r"] = self.reason
        if self.provider_message_id:
            entry["p"] = self.provider_message_id
        return entry


def send_batch_records(outcomes: Sequence[StoredOutcome], at: datetime) -> list[dict[str, Any]]:
    by_campaign: dict[str, list[StoredOutcome]] = defaultdict(list)
    for outcome in outcomes:
        by_campaign[outcome.campaign_id].append(outcome)
    return [
        {
            "_id": uuid.uuid4().hex,
            "campaign_id": campaign_id,
            "clinic_id": group[0].clinic_id,
            "at": at,
            "outcomes": [outcome.record() for outcome in group],
            "outbox": [event for outcome in group for event in outcome.events],
            "outbox_pending": True,
            "outbox_at": datetime.now(UTC),
        }
        for campaign_id, group in by_campaign.items()
    ]


class OutcomeRecorder:
    def __init__(
        self,
        clock: Callable[[], datetime],
        on_stored: Callable[[Sequence[StoredOutcome]], None],
        max_batch: int = 2000,
    ) -> None:
        self._clock = clock
        self._on_stored = on_stored
        self._max_batch = max_batch
        self._pending: list[tuple[StoredOutcome, asyncio.Future[None]]] = []
        self._wake = asyncio.Event()

    async def record(self, outcome: StoredOutcome) -> None:
        """Returns once `outcome` is stored."""
        await self.submit(outcome)

    def submit(self, outcome: StoredOutcome) -> "asyncio.Future[None]":
        """Queue `outcome` for the next flush; the future resolves once it is stored."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((outcome, done))
        self._wake.set()
        return done

    async def run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                taken = self._pending[: self._max_batch]
                del self._pending[: self._max_batch]
                outcomes = [outcome for outcome, _ in taken]
                await self._store(outcomes)
                self._on_stored(outcomes)
                for _, done in taken:
                    if not done.done():
                        done.set_result(None)

    async def _store(self, outcomes: list[StoredOutcome]) -> None:
        delay = 0.1
        records = send_batch_records(outcomes, self._clock())
        while True:
            try:
                await store.store_send_batches(records)
                return
            except Exception:  # the database is away: outcomes wait, senders wait on them
                log.exception("dispatch.outcomes_not_stored", count=len(outcomes))
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
