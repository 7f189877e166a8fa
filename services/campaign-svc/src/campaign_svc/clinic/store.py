"""Where clinic profiles are kept: append-only revisions, the highest one current."""

from datetime import datetime

from beanie import Document
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.errors import DuplicateKeyError

from reengage_common.events import ClinicProfile

# A PUT that keeps losing the next revision to other PUTs of the clinic gives up (409) after
# this many tries; people edit a profile rarely, so this takes a burst of concurrent saves.
SAVE_ATTEMPTS = 10


class ProfileChangedConcurrently(Exception):
    """Other writers kept winning the next revision; the caller may try again."""


class ClinicProfileRevision(Document):
    """Revision n of one clinic's profile, `{_id: "<clinic>:<n>"}`; never updated.

    FerretDB does not isolate concurrent updates: two PUTs upserting one document would each
    read-modify-write it and could leave a mix of both. So a PUT inserts the revision after the
    one it read instead. The unique `_id` is the compare-and-set: of two concurrent PUTs exactly
    one wins revision n+1, the other reads again and writes n+2. A PUT replaces the whole
    profile, so the current profile is always one writer's whole profile (the last to win).
    The revisions are also the profile's history.
    """

    id: str  # type: ignore[assignment]
    clinic_id: str
    revision: int
    profile: ClinicProfile
    updated_by: str | None = None
    at: datetime

    class Settings:
        name = "clinic_profile_revisions"
        indexes = [IndexModel([("clinic_id", ASCENDING), ("revision", DESCENDING)])]

    @staticmethod
    def key(clinic_id: str, revision: int) -> str:
        return f"{clinic_id}:{revision:09d}"


async def latest_profile_revision(clinic_id: str) -> ClinicProfileRevision | None:
    found = (
        await ClinicProfileRevision.find({"clinic_id": clinic_id})
        .sort([("revision", DESCENDING)])
        .limit(1)
        .to_list()
    )
    return found[0] if found else None


async def current_profile(clinic_id: str) -> ClinicProfile | None:
    latest = await latest_profile_revision(clinic_id)
    return latest.profile if latest is not None else None


async def save_profile(
    clinic_id: str, profile: ClinicProfile, *, by: str | None, at: datetime
) -> int:
    """Store `profile` as the clinic's next revision; returns its number."""
    for _ in range(SAVE_ATTEMPTS):
        latest = await latest_profile_revision(clinic_id)
        revision = (latest.revision if latest is not None else 0) + 1
        entry = ClinicProfileRevision(
            id=ClinicProfileRevision.key(clinic_id, revision),
            clinic_id=clinic_id,
            revision=revision,
            profile=profile,
            updated_by=by,
            at=at,
        )
        try:
            await entry.insert()
        except DuplicateKeyError:
            continue  # another PUT won this revision: ours goes after it
        return revision
    raise ProfileChangedConcurrently(
        "the clinic profile is being changed by others right now; try again"
    )
