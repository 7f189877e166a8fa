"""The storage rules every service follows, so code is correct on FerretDB 1.x and on MongoDB.

Measured against FerretDB 1.24 (PostgreSQL and SQLite handlers), and explained by its source:
every update, increment, upsert and findAndModify is a read-modify-write in Go, not isolated
(`internal/handler/common/update.go`): 20 tasks x 5 increments of one document kept 15-21 of 100,
and 10 concurrent findAndModify claimers took ~905 of 1,000 documents twice or more.
Only a unique index is enforced atomically: of 10 concurrent inserts of one key exactly one
wins. One command of >= 50 update statements holds a pool connection per statement and
deadlocks the whole server. Updates do not batch (each is its own transaction, ~3.5 ms at 10k
documents) while `insert_many` runs at ~23,000 documents/s.

Hence the rules, each with its helper here:

- One writer per key: a document is written only by the consumer owning its key's partition.
  Where two writers can still meet (commands on one campaign at two replicas, a scheduler),
  the writer first claims the next revision with a unique insert (`claim`), see `revisions`.
- Background loops run under a lease won by a unique `(loop, epoch)` insert, see `leases`;
  work items are claimed by unique inserts too (`claim_many`).
- Inserts go out in large unordered batches (`insert_new`); updates in chunks of at most 40
  statements (`update_in_chunks`), never a raw `bulk_write` of updates; upserts are backed by
  a unique index and retried once on a duplicate key (`upsert_unique`).
- Every query carries a selective top-level equality (clinic, campaign): FerretDB evaluates
  ranges, `$in` and sorts in Go over whatever the equality leaves.
- Hot paths are append-only: a transition is an inserted record with a unique key
  (`insert_new`), and the current state is folded from those records by their one writer,
  never an update per item.

On MongoDB the same code is correct too: every primitive used (unique inserts, single-writer
updates) means the same there.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pymongo import UpdateMany, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, DuplicateKeyError

DUPLICATE_KEY = 11000
# FerretDB holds one pool connection per statement of a bulk update until the command ends;
# 50 statements exhaust PostgreSQL's pool and hang the server. 40 leaves headroom.
MAX_UPDATES_PER_COMMAND = 40
INSERT_BATCH = 5_000

Collection = AsyncCollection[Mapping[str, Any]]


@dataclass(frozen=True)
class Inserted:
    """What an idempotent bulk insert did: new documents, and the `_id`s that already existed."""

    inserted: int
    duplicate_ids: tuple[Any, ...] = ()


async def insert_new(
    collection: Collection, documents: Sequence[Mapping[str, Any]], *, batch: int = INSERT_BATCH
) -> Inserted:
    """Insert in large unordered batches; a document whose unique key exists already is skipped.

    This is how a redelivered event changes nothing: its record's unique key is taken.
    Any other write error is raised.
    """
    inserted = 0
    duplicates: list[Any] = []
    for start in range(0, len(documents), batch):
        chunk = list(documents[start : start + batch])
        try:
            result = await collection.insert_many(chunk, ordered=False)
            inserted += len(result.inserted_ids)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            others = [error for error in errors if error.get("code") != DUPLICATE_KEY]
            if others:
                raise
            inserted += exc.details.get("nInserted", len(chunk) - len(errors))
            duplicates.extend(chunk[error["index"]].get("_id") for error in errors)
    return Inserted(inserted, tuple(duplicates))


async def claim(collection: Collection, document: Mapping[str, Any]) -> bool:
    """Win `document`'s unique key by inserting it: True for exactly one of concurrent callers."""
    try:
        await collection.insert_one(dict(document))
    except DuplicateKeyError:
        return False
    return True


async def claim_many(collection: Collection, documents: Sequence[Mapping[str, Any]]) -> set[Any]:
    """Claim many keys in one round trip; returns the `_id`s this caller won."""
    if not documents:
        return set()
    result = await insert_new(collection, documents)
    lost = set(result.duplicate_ids)
    return {document["_id"] for document in documents if document["_id"] not in lost}


async def update_in_chunks(
    collection: Collection,
    operations: Iterable[UpdateOne | UpdateMany],
    *,
    chunk: int = MAX_UPDATES_PER_COMMAND,
) -> int:
    """Apply updates in commands of at most `chunk` statements; returns documents modified.

    Only for documents this process is the one writer of: FerretDB does not isolate updates.
    """
    chunk = min(chunk, MAX_UPDATES_PER_COMMAND)
    pending = list(operations)
    modified = 0
    for start in range(0, len(pending), chunk):
        part = pending[start : start + chunk]
        done = await collection.bulk_write(part)  # ferretdb-safe: <= 40 updates, one writer
        modified += done.modified_count + done.upserted_count
    return modified


async def upsert_unique(
    collection: Collection, query: Mapping[str, Any], update: Mapping[str, Any]
) -> None:
    """An upsert whose `query` matches a unique index: two first writers race on the insert, the
    loser gets DuplicateKeyError and retries once as a plain update of the winner's document."""
    try:
        await collection.update_one(dict(query), dict(update), upsert=True)
    except DuplicateKeyError:
        await collection.update_one(dict(query), dict(update), upsert=True)
