"""Campaign snapshots: pages folded by one compactor, read by every replica. (Over 300 lines:
the compactor and the readers keep one invariant, below, in the order both follow; the pure
fold is `domain.snapshot`.)

Why: folding every page of a 100,000-recipient campaign per stats query cost ~3.8 s (1.7 s
reading 210,000 fact strings from FerretDB, 2 s folding them in Python). A snapshot generation
keeps the folded result, so a query reads one small head (its tally: the figures' sums) plus the
pages not folded yet, and re-folds only the patients those touch (`domain.snapshot`).

Writers are unchanged: consumers insert fact pages. The compactor (every worker replica, each
for the campaigns whose partition of `message.sent` its consumer owns: `reengage_common.shares`)
takes a campaign's pages, folds them into the latest generation and
inserts generation n+1: first the shards that changed (new records, unique ids), then the head
`{_id: "<clinic>/<campaign>/<n+1>"}` (a unique insert: of two compactors that raced, one wins
and the other drops its work and deletes nothing). Only then are the folded pages deleted, and
the generations before n (with shards only they referenced).

Readers take the unfolded pages first and the head second. Whatever the compactor does in
between, every fact is in one or the other (a page is deleted only after a head holding it
exists); a fact in both is folded twice, which changes nothing. A shard a head names may be
gone if two generations passed meanwhile: the read starts again. Decoded shards and heads are
cached per record id in each replica (a record never changes), so a replica decodes a shard
once per generation that changed it.
"""

import asyncio
import uuid
import zlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import structlog
from bson import Binary

from reengage_common import codec
from reengage_common.cpu import call_without_gc
from reengage_common.shares import Holding, PartitionShare
from tracking_svc.domain.snapshot import Shard, State, fold_new, split_new
from tracking_svc.store import TrackingStore
from tracking_svc.store.records import head_shard_ids, page_facts

log = structlog.get_logger(__name__)
# Pages one compaction round folds (a consumer batch makes ~9 pages of ~110 facts).
ROUND_PAGES = 2000
CACHED_SHARDS = 1024
# Decoded heads kept: a campaigns page asks for 50 at once.
CACHED_HEADS = 256
ZLIB_LEVEL = 1


T = TypeVar("T")


async def _off_loop(work: Callable[..., T], *args: Any) -> T:
    return await asyncio.to_thread(call_without_gc, work, *args)


class Stale(Exception):
    """A shard the head named was deleted meanwhile (two generations passed): read again."""


async def _again_if_stale(read: Callable[[], Awaitable[T]]) -> T:
    """`read`, started again (up to four times, waiting a little longer each time) while it
    meets a shard deleted under it."""
    for attempt in range(4):
        try:
            return await read()
        except Stale:
            await asyncio.sleep(0.05 * (attempt + 1))
    return await read()


@dataclass(frozen=True)
class Head:
    id: str | None
    gen: int
    state: State
    shards: dict[int, tuple[str, dict[str, int]]]  # shard: (record id, status counts)


EMPTY = Head(None, 0, State(), {})


@dataclass
class View:
    """A campaign as of now: the head's state with the unfolded pages folded in."""

    head: Head
    state: State
    changed: dict[int, Shard] = field(default_factory=dict)  # shards the pages touched, now
    unfolded_pages: int = 0


def _head_of(document: dict[str, Any]) -> Head:
    body = codec.decode(document["r"])
    shards = {int(k): (v[0], v[1]) for k, v in body["shards"].items()}
    return Head(document["_id"], document["gen"], State.decode(body), shards)


@dataclass(frozen=True)
class _Overlay:
    """A view made from a head and these pages."""

    head_id: str | None
    pages: frozenset[str]
    view: View


class BucketViews:
    """A campaign's view per page bucket, for one read (`Snapshots.bucket_views`)."""

    def __init__(
        self, snapshots: "Snapshots", clinic_id: str, campaign_id: str, head: Head | None
    ) -> None:
        self._snapshots, self.clinic_id, self.campaign_id = snapshots, clinic_id, campaign_id
        self._head = head  # every bucket's view, when no page waited to be folded
        self._made: dict[int, View] = {}

    async def view(self, bucket: int) -> View:
        if self._head is not None:
            return View(self._head, self._head.state)
        if bucket not in self._made:
            self._made[bucket] = await self._snapshots.view(
                self.clinic_id, self.campaign_id, bucket
            )
        return self._made[bucket]


class Snapshots:
    """One replica's reader (and, for the campaigns it owns, compactor) of the campaigns' snapshots in
    `store`, with its caches of decoded records."""

    def __init__(self, store: TrackingStore) -> None:
        self.store = store
        self._shards: OrderedDict[str, Shard] = OrderedDict()
        self._heads: dict[str, Head] = {}
        # (clinic, campaign, page bucket or None) -> the view last made (`_overlay`)
        self._overlays: OrderedDict[tuple[str, str, int | None], _Overlay] = OrderedDict()

    # --- reading ----------------------------------------------------------------------------

    async def latest(self, clinic_id: str, campaign_id: str) -> Head:
        return (await self.latest_of(clinic_id, [campaign_id]))[campaign_id]

    async def latest_of(self, clinic_id: str, campaign_ids: list[str]) -> dict[str, Head]:
        """Each campaign's newest head (EMPTY before its first): one query for their numbers
        (heads are small and at most a few per campaign: older ones are deleted), one more
        for the heads this replica has not decoded yet."""
        found = await self.store.head_numbers(clinic_id, campaign_ids)
        newest: dict[str, str] = {}
        generation: dict[str, int] = {}
        for document in found:
            campaign_id = document["campaign_id"]
            if document["gen"] > generation.get(campaign_id, -1):
                generation[campaign_id] = document["gen"]
                newest[campaign_id] = document["_id"]
        heads = {
            head_id: self._heads[head_id] for head_id in newest.values() if head_id in self._heads
        }
        missing = [head_id for head_id in newest.values() if head_id not in heads]
        if missing:
            documents = await self.store.heads_by_id(clinic_id, missing)
            if len(documents) < len(missing):
                raise Stale(missing[0])
            for document in documents:
                heads[document["_id"]] = self._remember_head(document["_id"], _head_of(document))
        return {c: heads[newest[c]] if c in newest else EMPTY for c in campaign_ids}

    def _remember_head(self, head_id: str, head: Head) -> Head:
        self._heads[head_id] = head
        while len(self._heads) > CACHED_HEADS:
            del self._heads[next(iter(self._heads))]  # the oldest remembered
        return head

    async def shards(self, clinic_id: str, campaign_id: str, head: Head, numbers: Iterable[int]):
        """{shard number: Shard} of the head, for the numbers it has."""
        ids = {n: head.shards[n][0] for n in numbers if n in head.shards}
        missing = [i for i in ids.values() if i not in self._shards]
        if missing:
            found = await self.store.snapshot_shards(clinic_id, campaign_id, missing)
            if len(found) < len(missing):
                raise Stale(campaign_id)
            decoded = await asyncio.to_thread(
                lambda: [(d["_id"], Shard.decode(zlib.decompress(d["blob"]))) for d in found]
            )
            for record_id, shard in decoded:
                self._remember(record_id, shard)
        return {n: self._shards[i] for n, i in ids.items()}

    def _remember(self, record_id: str, shard: Shard) -> None:
        self._shards[record_id] = shard
        self._shards.move_to_end(record_id)
        while len(self._shards) > CACHED_SHARDS:
            self._shards.popitem(last=False)

    async def view(self, clinic_id: str, campaign_id: str, bucket: int | None = None) -> View:
        """The head plus the unfolded pages (of one page bucket when `bucket` is given)."""

        async def read() -> View:
            pages = await self.store.unfolded_pages(campaign_id, clinic_id, bucket)
            head = await self.latest(clinic_id, campaign_id)
            return await self._overlay(clinic_id, campaign_id, head, pages, bucket)

        return await _again_if_stale(read)

    async def bucket_views(self, clinic_id: str, campaign_id: str) -> "BucketViews":
        """What a recipients page walks: one view per page bucket, made when the walk first
        needs it. When no page waits to be folded (a campaign at rest: the usual case), every
        bucket's view is the head, read once; asked bucket by bucket, a page made up to 16
        queries. Otherwise each bucket's view reads its pages, then the head (`view`)."""

        async def read() -> BucketViews:
            waiting = await self.store.unfolded_pages(campaign_id, clinic_id, limit=1)
            head = None if waiting else await self.latest(clinic_id, campaign_id)
            return BucketViews(self, clinic_id, campaign_id, head)

        return await _again_if_stale(read)

    async def views_of(self, clinic_id: str, campaign_ids: list[str]) -> dict[str, View]:
        """Many campaigns' views with a fixed number of queries, whatever their number: their
        unfolded pages, then their heads (the order `view` keeps); only a campaign with pages
        not folded yet reads shards."""

        async def read() -> dict[str, View]:
            pages = await self.store.unfolded_pages_of(clinic_id, campaign_ids)
            heads = await self.latest_of(clinic_id, campaign_ids)
            views = await asyncio.gather(
                *(self._overlay(clinic_id, c, heads[c], pages.get(c, [])) for c in campaign_ids)
            )
            return dict(zip(campaign_ids, views, strict=True))

        return await _again_if_stale(read)

    async def _overlay(
        self,
        clinic_id: str,
        campaign_id: str,
        head: Head,
        pages: list[dict[str, Any]],
        bucket: int | None = None,
    ) -> View:
        """The head with the pages folded in. The view last made for the campaign is kept:
        when its head is still the newest and its pages are all still there, only the pages
        it lacks are folded onto it (folding is incremental, `fold_new`). While a campaign
        sends and the compactor is behind, every stats query and campaigns page folded every
        unfolded page again: 65 % of tracking's API CPU in a 100,000-recipient send."""
        if not pages:
            return View(head, head.state)
        key = (clinic_id, campaign_id, bucket)
        known = self._overlays.get(key)
        ids = frozenset(page["_id"] for page in pages)
        if known is not None and known.head_id == head.id and known.pages <= ids:
            fresh = [page for page in pages if page["_id"] not in known.pages]
            if not fresh:
                return known.view
            state, changed = known.view.state, known.view.changed
        else:
            fresh, state, changed = pages, head.state, {}
        raw = [fact for page in fresh for fact in page_facts(page)]
        new = await _off_loop(split_new, raw)
        from_head = await self.shards(clinic_id, campaign_id, head, new.shards - changed.keys())
        shards = {**from_head, **{n: changed[n] for n in new.shards & changed.keys()}}
        folded = await _off_loop(fold_new, state, shards, new)
        view = View(head, folded.state, {**changed, **folded.changed}, len(pages))
        self._overlays[key] = _Overlay(head.id, ids, view)
        self._overlays.move_to_end(key)
        while len(self._overlays) > CACHED_HEADS:
            self._overlays.popitem(last=False)
        return view

    # --- compaction (each campaign by the replica owning its partition) ---------------------

    async def compact(self, owner: PartitionShare | None = None) -> int:
        """Fold every campaign's (every campaign of `owner`'s) unfolded pages into a new
        generation; pages folded.

        The pages are read once for all campaigns: on FerretDB a `distinct` of their campaign
        ids ships every page from PostgreSQL as a read of them does, so asking first which
        campaigns have pages, then reading each one's, cost every page twice a round. With
        other replicas' campaigns among them, a round looks at as many more pages as its share
        is smaller, so their backlog never hides its own."""
        if owner is not None and not owner.owned:
            return 0
        looked_at = ROUND_PAGES if owner is None else int(ROUND_PAGES / owner.share())
        by_campaign: dict[str, list[dict[str, Any]]] = {}
        for page in await self.store.any_unfolded_pages(limit=looked_at):
            if owner is None or owner.owns_key(page["campaign_id"]):
                by_campaign.setdefault(page["campaign_id"], []).append(page)
        folded = 0
        for campaign_id, pages in by_campaign.items():
            holding = owner.holding(campaign_id) if owner is not None else None
            if holding is not None and not holding.held():
                break
            folded += await self._compact_pages(campaign_id, pages[:ROUND_PAGES], holding)
        return folded

    async def compact_campaign(self, campaign_id: str, holding: Holding | None = None) -> int:
        pages = await self.store.unfolded_pages(campaign_id, limit=ROUND_PAGES)
        return await self._compact_pages(campaign_id, pages, holding)

    async def _compact_pages(
        self, campaign_id: str, pages: list[dict[str, Any]], holding: Holding | None
    ) -> int:
        by_clinic: dict[str, list[dict[str, Any]]] = {}
        for page in pages:
            by_clinic.setdefault(page["clinic_id"], []).append(page)
        done = 0
        for clinic_id, clinic_pages in by_clinic.items():
            try:
                done += await self._compact(clinic_id, campaign_id, clinic_pages, holding)
            except Stale:
                log.info("snapshot.stale", campaign_id=campaign_id)
        return done

    async def _compact(
        self,
        clinic_id: str,
        campaign_id: str,
        pages: list[dict[str, Any]],
        holding: Holding | None,
    ) -> int:
        head = await self.latest(clinic_id, campaign_id)
        raw = [fact for page in pages for fact in page_facts(page)]
        new = await _off_loop(split_new, raw)
        shards = await self.shards(clinic_id, campaign_id, head, new.shards)
        folded = await _off_loop(fold_new, head.state, shards, new)
        gen = head.gen + 1
        token = uuid.uuid4().hex[:8]
        prefix = f"{clinic_id}/{campaign_id}"
        table = dict(head.shards)
        records = []
        encoded = await asyncio.to_thread(
            lambda: {
                n: (Binary(zlib.compress(s.encode(), ZLIB_LEVEL)), s.status_counts())
                for n, s in folded.changed.items()
            }
        )
        for number, (blob, counts) in encoded.items():
            record_id = f"{prefix}/{number:02d}/{gen:09d}/{token}"
            table[number] = (record_id, counts)
            base = {"campaign_id": campaign_id, "clinic_id": clinic_id, "gen": gen}
            records.append({"_id": record_id, **base, "blob": blob})
        if holding is not None and not holding.held():
            return 0
        await self.store.store_snapshot_shards(clinic_id, records)
        body = {**folded.state.encode(), "shards": {str(k): list(v) for k, v in table.items()}}
        head_id = f"{prefix}/{gen:09d}"
        document = {
            "_id": head_id,
            "campaign_id": campaign_id,
            "clinic_id": clinic_id,
            "gen": gen,
            "r": codec.encode_text(body),
        }
        won = (holding is None or holding.held()) and await self.store.claim_head(document)
        if not won:
            # Another compactor took this generation: our work is dropped, our pages stay.
            ours = [r["_id"] for r in records]
            await self.store.delete_snapshot_shards(clinic_id, campaign_id, ours)
            log.warning("snapshot.lost_race", campaign_id=campaign_id, gen=gen)
            return 0
        for number, shard in folded.changed.items():
            self._remember(table[number][0], shard)
        await self.store.delete_pages(campaign_id, [page["_id"] for page in pages])
        await self._prune(clinic_id, campaign_id, gen)
        log.info(
            "snapshot.compacted",
            campaign_id=campaign_id,
            gen=gen,
            pages=len(pages),
            patients=folded.patients,
            shards=len(records),
        )
        return len(pages)

    async def _prune(self, clinic_id: str, campaign_id: str, gen: int) -> None:
        """Heads before gen - 1, and the shards only they named (readers may still be on n-1)."""
        heads = await self.store.heads_of_campaign(clinic_id, campaign_id)
        keep = [d for d in heads if d["gen"] >= gen - 1]
        old = [d for d in heads if d["gen"] < gen - 1]
        if not old:
            return
        kept = set().union(*(head_shard_ids(d) for d in keep))
        gone = set().union(*(head_shard_ids(d) for d in old))
        stale_shards = sorted(gone - kept)
        if stale_shards:
            await self.store.delete_snapshot_shards(clinic_id, campaign_id, stale_shards)
        await self.store.delete_heads(clinic_id, campaign_id, [d["_id"] for d in old])
