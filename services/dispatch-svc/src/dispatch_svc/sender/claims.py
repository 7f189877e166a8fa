"""Claims: a message is SENDING once this sender won "<messageId>:<attempt>" by a unique
insert (one insert per chunk), with an expiry in real time. A claim lost to another sender
parks the message until that claim expires; a claim of ours left unused (the lease wobbled) is
used again while it is still ours."""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from dispatch_svc.domain.message_states import Claimed
from dispatch_svc.sender.index import CampaignQueue, Entry
from dispatch_svc.store import DispatchStore

# A claim about to expire is not used for a send: a successor may take it over meanwhile.
CLAIM_MARGIN = timedelta(seconds=1)


def wall_clock() -> datetime:
    """Claims expire in real time, whatever day the injected clock says it is."""
    return datetime.now(UTC)


class Work:
    """A claimed message on its way to a sender slot."""

    __slots__ = ("attempt", "claim_expires", "entry", "queue", "retried")

    def __init__(
        self,
        queue: CampaignQueue,
        entry: Entry,
        attempt: int,
        retried: bool,
        claim_expires: datetime,
    ) -> None:
        self.queue, self.entry, self.attempt = queue, entry, attempt
        self.retried, self.claim_expires = retried, claim_expires


class Claims:
    """This sender's claims, each stored with its shards' generation."""

    def __init__(self, store: DispatchStore, owner: str, ttl_seconds: float) -> None:
        self._store = store
        self._owner = owner
        self._ttl = timedelta(seconds=ttl_seconds)

    def expiry(self) -> datetime:
        return wall_clock() + self._ttl

    async def claim(
        self, queue: CampaignQueue, entries: Sequence[Entry], generation: int
    ) -> list[Work]:
        """The entries this sender may send now: its own unused claims still valid, and the
        next attempt of each other entry where it won the claim."""
        wall = wall_clock()
        expires = wall + self._ttl
        work: list[Work] = []
        wanted: dict[str, Entry] = {}
        for entry in entries:
            held = entry.held_claim
            entry.held_claim = None
            if held is not None and held[0] > wall + CLAIM_MARGIN:
                # our own claim, released unused (its shard wobbled): still ours to use
                queue.in_flight.add(entry.message_id)
                work.append(Work(queue, entry, entry.attempt, held[1], held[0]))
            else:
                wanted[f"{entry.message_id}:{entry.attempt + 1}"] = entry
        if not wanted:
            return work
        won = await self._store.claim(
            queue.campaign_id,
            {claim_id: entry.message.shard for claim_id, entry in wanted.items()},
            owner=self._owner,
            generation=generation,
            claimed_at=wall,
            expires_at=expires,
        )
        for claim_id, entry in wanted.items():
            if claim_id in won:
                retried = entry.attempt > 0
                entry.attempt += 1
                queue.in_flight.add(entry.message_id)
                work.append(Work(queue, entry, entry.attempt, retried, expires))
            else:
                entry.attempt += 1  # someone else holds this attempt
                queue.parked[entry.message_id] = expires
                queue.release(entry.message_id)
        return work


def adopt_claims(queue: CampaignQueue, claims: Sequence[Claimed], wall: datetime) -> None:
    """Stored claims of the campaign's queued messages: the next attempt comes after the
    highest claimed, and one still valid parks its message until it expires."""
    for claim in claims:
        entry = queue.queued.get(claim.message_id)
        if entry is None:
            continue
        entry.attempt = max(entry.attempt, claim.attempt)
        if claim.expires_at > wall:  # aware: the client is tz_aware, the text is ISO
            parked = queue.parked.get(entry.message_id, claim.expires_at)
            queue.parked[entry.message_id] = max(claim.expires_at, parked)
