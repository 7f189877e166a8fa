"""Where saved audiences are kept: append-only revisions, and a unique claim per name.

FerretDB does not isolate updates, so nothing here is updated in place: each save inserts
revision n+1 of the audience (`{_id: "<audience>:<n>"}`, a compare-and-set that exactly one
of two concurrent saves wins), a deletion is a revision without state, and a clinic's list is
folded from its revisions in memory (tens per clinic). A name is held by inserting
`{_id: "<clinic>:<name key>"}`: of two audiences saved with one name at once, one wins.
"""

from datetime import datetime
from typing import Any

from beanie import Document
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.errors import DuplicateKeyError

from campaign_svc.domain.saved_audiences import SavedAudience
from campaign_svc.domain.saved_audiences import name_key as key_of


class SavedAudienceRevision(Document):
    id: str  # type: ignore[assignment]
    audience_id: str
    clinic_id: str
    revision: int
    state: dict[str, Any] | None  # None: the audience was deleted
    at: datetime

    class Settings:
        name = "saved_audience_revisions"
        indexes = [IndexModel([("clinic_id", ASCENDING)]), IndexModel([("audience_id", ASCENDING)])]

    @staticmethod
    def key(audience_id: str, revision: int) -> str:
        return f"{audience_id}:{revision:09d}"

    def audience(self) -> SavedAudience | None:
        return SavedAudience.model_validate(self.state) if self.state is not None else None


class SavedAudienceName(Document):
    """The claim on one name of a clinic; points at the audience that holds it."""

    id: str  # type: ignore[assignment]
    clinic_id: str
    audience_id: str

    class Settings:
        name = "saved_audience_names"

    @staticmethod
    def key(clinic_id: str, name_key: str) -> str:
        return f"{clinic_id}:{name_key}"


async def latest_revision(clinic_id: str, audience_id: str) -> SavedAudienceRevision | None:
    found = (
        await SavedAudienceRevision.find({"audience_id": audience_id, "clinic_id": clinic_id})
        .sort([("revision", DESCENDING)])
        .limit(1)
        .to_list()
    )
    return found[0] if found else None


async def audiences_of_clinic(clinic_id: str) -> list[SavedAudience]:
    """The clinic's live audiences, newest first."""
    latest: dict[str, SavedAudienceRevision] = {}
    for revision in await SavedAudienceRevision.find({"clinic_id": clinic_id}).to_list():
        held = latest.get(revision.audience_id)
        if held is None or revision.revision > held.revision:
            latest[revision.audience_id] = revision
    live = [a for a in (r.audience() for r in latest.values()) if a is not None]
    return sorted(live, key=lambda a: (a.created_at, a.id), reverse=True)


async def save_revision(
    clinic_id: str, audience_id: str, revision: int, state: SavedAudience | None, at: datetime
) -> bool:
    """Insert revision `revision`; False when another save won it."""
    entry = SavedAudienceRevision(
        id=SavedAudienceRevision.key(audience_id, revision),
        audience_id=audience_id,
        clinic_id=clinic_id,
        revision=revision,
        state=state.model_dump(mode="json", by_alias=True) if state is not None else None,
        at=at,
    )
    try:
        await entry.insert()
    except DuplicateKeyError:
        return False
    return True


async def claim_name(clinic_id: str, name_key: str, audience_id: str) -> bool:
    """Hold `name_key` for the audience; False while a live audience of the clinic holds it.

    A claim left behind (a crash between the claim and the revision, or before a rename's
    release) names an audience that is gone or now called otherwise: it is taken over.
    """
    key = SavedAudienceName.key(clinic_id, name_key)
    for _ in range(2):
        try:
            await SavedAudienceName(id=key, clinic_id=clinic_id, audience_id=audience_id).insert()
            return True
        except DuplicateKeyError:
            holder = await SavedAudienceName.get(key)
            if holder is None:
                continue
            if holder.audience_id == audience_id:
                return True
            if await _still_called(clinic_id, holder.audience_id, name_key):
                return False
            await holder.delete()
    return False


async def release_name(clinic_id: str, name_key: str, audience_id: str) -> None:
    holder = await SavedAudienceName.get(SavedAudienceName.key(clinic_id, name_key))
    if holder is not None and holder.audience_id == audience_id:
        await holder.delete()


async def _still_called(clinic_id: str, audience_id: str, name_key: str) -> bool:
    latest = await latest_revision(clinic_id, audience_id)
    audience = latest.audience() if latest is not None else None
    return audience is not None and key_of(audience.name) == name_key


DOCUMENTS = [SavedAudienceRevision, SavedAudienceName]
