"""The sender's in-memory view of what is queued, per campaign and channel, by send slot.

Read from the database for each shard the sender takes over, then kept current from the
messages its own process's consumer hands over, announced batches, and its own outcomes, so a
tick never rescans the message store.
"""

import heapq
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from dispatch_svc.domain.campaigns import CampaignState
from dispatch_svc.domain.messages import QueuedMessage
from dispatch_svc.domain.send_window import Window, in_waking_hours, send_slot, zone
from reengage_common.clinic import sending_hours


@dataclass(slots=True)
class Entry:
    """One queued message, when it goes, and its last claimed attempt."""

    message: QueuedMessage
    slot: datetime | None = None
    attempt: int = 0  # the highest attempt anyone claimed; ours is attempt + 1
    # a claim of ours, never used for a send: (expires at, retried), reusable until it expires
    held_claim: tuple[datetime, bool] | None = None

    @property
    def message_id(self) -> str:
        return self.message.message_id

    @property
    def channel(self) -> str:
        return self.message.channel


@dataclass
class CampaignQueue:
    campaign_id: str
    queued: dict[str, Entry] = field(default_factory=dict)
    done: set[str] = field(default_factory=set)
    in_flight: set[str] = field(default_factory=set)
    # claimed by another sender, until about this wall-clock instant
    parked: dict[str, datetime] = field(default_factory=dict)
    heaps: dict[str, list[tuple[datetime, str]]] = field(default_factory=dict)
    unscheduled: set[str] = field(default_factory=set)

    def add(self, messages: Iterable[QueuedMessage], state: CampaignState | None) -> int:
        added = 0
        for message in messages:
            message_id = message.message_id
            if message_id in self.done or message_id in self.queued:
                continue
            entry = Entry(message)
            self.queued[message_id] = entry
            self._schedule(entry, state, not_before=None)
            added += 1
        return added

    def schedule_all(self, state: CampaignState) -> None:
        """Give every message that waited for the campaign's snapshot its slot."""
        for message_id in list(self.unscheduled):
            entry = self.queued.get(message_id)
            if entry is not None:
                self._schedule(entry, state, not_before=None)
        self.unscheduled.clear()

    def _schedule(
        self, entry: Entry, state: CampaignState | None, not_before: datetime | None
    ) -> None:
        if state is None:
            self.unscheduled.add(entry.message_id)
            return
        entry.slot = slot_for(entry.message, state, not_before)
        heapq.heappush(self.heaps.setdefault(entry.channel, []), (entry.slot, entry.message_id))

    def due(
        self, state: CampaignState, channel: str, now: datetime, limit: int, wall_now: datetime
    ) -> list[Entry]:
        """Up to `limit` messages of `channel` whose slot came, at a moment the patient is awake.

        A message held while the campaign was paused, or reached late into the patient's
        night, moves to its next slot from now instead.
        """
        heap = self.heaps.get(channel) or []
        taken: list[Entry] = []
        deferred: list[tuple[datetime, str]] = []
        while heap and len(taken) < limit and heap[0][0] <= now:
            slot, message_id = heapq.heappop(heap)
            entry = self.queued.get(message_id)
            if entry is None or entry.slot != slot or message_id in self.in_flight:
                continue  # sent, skipped or rescheduled since
            if self.parked.get(message_id, wall_now) > wall_now:
                deferred.append((slot, message_id))  # claimed elsewhere until that expires
                continue
            if slot < state.active_since or not in_waking_hours(
                now, patient_zone(entry.message, state), window_of(state)
            ):
                entry.slot = slot_for(entry.message, state, max(state.active_since, now))
                if entry.slot > now:
                    heapq.heappush(heap, (entry.slot, message_id))
                    continue
            taken.append(entry)
        for item in deferred:
            heapq.heappush(heap, item)
        return taken

    def remaining(self, wall_now: datetime, limit: int) -> list[Entry]:
        """Queued messages not in flight nor claimed elsewhere (to skip them all)."""
        found: list[Entry] = []
        for message_id, entry in self.queued.items():
            if len(found) >= limit:
                break
            if message_id in self.in_flight or self.parked.get(message_id, wall_now) > wall_now:
                continue
            found.append(entry)
        return found

    def expired_parks(self, wall_now: datetime) -> list[str]:
        return [message_id for message_id, until in self.parked.items() if until <= wall_now]

    def finish(self, message_id: str) -> None:
        self.done.add(message_id)
        self.queued.pop(message_id, None)
        self.in_flight.discard(message_id)
        self.parked.pop(message_id, None)

    def drop_shards(self, shards: frozenset[int]) -> None:
        """These shards were taken away: their messages leave the queue, but for those in
        flight (their outcome is stored, or their slot gives them up: `forget`)."""
        for message_id, entry in list(self.queued.items()):
            if entry.message.shard in shards and message_id not in self.in_flight:
                self.forget(message_id)

    def forget(self, message_id: str) -> None:
        """A message of a shard taken away: its new owner sends it (after our claim expires)."""
        self.queued.pop(message_id, None)
        self.in_flight.discard(message_id)
        self.parked.pop(message_id, None)
        self.unscheduled.discard(message_id)

    def release(self, message_id: str) -> None:
        """A claim we did not use (the shard moved): back in the queue for a later attempt."""
        self.in_flight.discard(message_id)
        entry = self.queued.get(message_id)
        if entry is not None and entry.slot is not None:
            heapq.heappush(self.heaps.setdefault(entry.channel, []), (entry.slot, message_id))

    def __len__(self) -> int:
        return len(self.queued)


def patient_zone(message: QueuedMessage, state: CampaignState) -> ZoneInfo:
    """The patient's time zone; the clinic's when unknown."""
    snapshot = state.snapshot
    clinic_zone = snapshot.clinic.timezone if snapshot.clinic else snapshot.schedule.timezone
    return zone(message.contact.get("timezone"), clinic_zone)


def window_of(state: CampaignState) -> Window:
    """The clinic's sending hours from the snapshot, never wider than 08:00-21:00."""
    clinic = state.snapshot.clinic
    return sending_hours(clinic.quiet_hours if clinic else None)


def slot_for(message: QueuedMessage, state: CampaignState, not_before: datetime | None) -> datetime:
    due_at = message.due_at
    if not_before is not None and not_before > due_at:
        due_at = not_before
    schedule = state.snapshot.schedule
    return send_slot(
        due_at,
        send_times=schedule.send_times,
        campaign_zone=zone(schedule.timezone),
        patient_zone=patient_zone(message, state),
        window=window_of(state),
    )
