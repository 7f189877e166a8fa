"""Reading, saving and deleting the caller's saved audiences (the clinic is the token's)."""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import structlog

from campaign_svc.audiences.store import (
    audiences_of_clinic,
    claim_name,
    latest_revision,
    release_name,
    save_revision,
)
from campaign_svc.domain.model import CampaignInput, InvalidCampaign
from campaign_svc.domain.saved_audiences import (
    MAX_SAVED_AUDIENCES_PER_CLINIC,
    SavedAudience,
    name_key,
    name_taken,
    parse_saved_audience,
    referenced_audience,
    revised,
    saved_audience_errors,
    too_many,
    unknown_audience,
    with_targeting,
)
from reengage_common.auth import MANAGE_REMINDERS, VIEW_ANALYTICS, Identity
from reengage_common.clock import Clock

log = structlog.get_logger(__name__)


class SavedAudienceNotFound(LookupError):
    def __init__(self, audience_id: str) -> None:
        super().__init__(f"saved audience {audience_id} not found")


class AudienceChangedConcurrently(Exception):
    """Another save of the audience won its next revision; the caller may reload and retry."""


@dataclass
class SavedAudiences:
    clock: Clock

    async def create(self, identity: Identity, body: object) -> SavedAudience:
        identity.require(MANAGE_REMINDERS)
        change = parse_saved_audience(body)
        _raise_if_invalid(saved_audience_errors(change))
        if len(await audiences_of_clinic(identity.clinic_id)) >= MAX_SAVED_AUDIENCES_PER_CLINIC:
            raise InvalidCampaign([too_many()])
        now = self.clock()
        audience = SavedAudience(
            **change.model_dump(),
            id=uuid.uuid4().hex,
            created_by=identity.user_id,
            created_at=now,
            updated_at=now,
        )
        if not await claim_name(identity.clinic_id, name_key(audience.name), audience.id):
            raise InvalidCampaign([name_taken(audience.name)])
        await save_revision(identity.clinic_id, audience.id, 1, audience, now)
        log.info("saved_audience.created", clinic_id=identity.clinic_id, audience_id=audience.id)
        return audience

    async def replace(self, identity: Identity, audience_id: str, body: object) -> SavedAudience:
        identity.require(MANAGE_REMINDERS)
        current, revision = await _current(identity.clinic_id, audience_id)
        change = parse_saved_audience(body)
        _raise_if_invalid(saved_audience_errors(change))
        audience = revised(current, change, at=self.clock())
        old_key, new_key = name_key(current.name), name_key(audience.name)
        if new_key != old_key and not await claim_name(identity.clinic_id, new_key, audience_id):
            raise InvalidCampaign([name_taken(audience.name)])
        if not await save_revision(
            identity.clinic_id, audience_id, revision + 1, audience, audience.updated_at
        ):
            if new_key != old_key:
                await release_name(identity.clinic_id, new_key, audience_id)
            raise AudienceChangedConcurrently("the audience was changed meanwhile; reload it")
        if new_key != old_key:
            await release_name(identity.clinic_id, old_key, audience_id)
        return audience

    async def delete(self, identity: Identity, audience_id: str) -> None:
        """Campaigns that named it keep the targeting they took from it."""
        identity.require(MANAGE_REMINDERS)
        current, revision = await _current(identity.clinic_id, audience_id)
        if not await save_revision(
            identity.clinic_id, audience_id, revision + 1, None, self.clock()
        ):
            raise AudienceChangedConcurrently("the audience was changed meanwhile; reload it")
        await release_name(identity.clinic_id, name_key(current.name), audience_id)
        log.info("saved_audience.deleted", clinic_id=identity.clinic_id, audience_id=audience_id)


async def read_saved_audience(identity: Identity, audience_id: str) -> SavedAudience:
    identity.require(VIEW_ANALYTICS)
    return (await _current(identity.clinic_id, audience_id))[0]


async def read_saved_audiences(identity: Identity) -> list[SavedAudience]:
    identity.require(VIEW_ANALYTICS)
    return await audiences_of_clinic(identity.clinic_id)


async def saved_audience_of(clinic_id: str, audience_id: str) -> SavedAudience | None:
    latest = await latest_revision(clinic_id, audience_id)
    return latest.audience() if latest is not None else None


async def with_named_audience(clinic_id: str, body: Any) -> Any:
    """A create or update request that names a saved audience, with its targeting in place;
    an audience the clinic does not have is the caller's error, naming `savedAudienceId`."""
    audience_id = referenced_audience(body)
    if audience_id is None or not isinstance(body, Mapping):
        return body
    audience = await saved_audience_of(clinic_id, audience_id)
    if audience is None:
        raise InvalidCampaign([unknown_audience(audience_id)])
    return with_targeting(body, audience.targeting)


async def linked_to_audience(clinic_id: str, definition: CampaignInput) -> CampaignInput:
    """The definition with its saved audience's current targeting; a campaign whose audience
    was deleted meanwhile keeps the targeting it took."""
    audience_id = definition.saved_audience_id
    if audience_id is None:
        return definition
    audience = await saved_audience_of(clinic_id, audience_id)
    if audience is None:
        return definition
    return definition.model_copy(update={"targeting": audience.targeting.model_copy(deep=True)})


async def _current(clinic_id: str, audience_id: str) -> tuple[SavedAudience, int]:
    """Another clinic's audience is as absent as one never saved."""
    latest = await latest_revision(clinic_id, audience_id)
    audience = latest.audience() if latest is not None else None
    if latest is None or audience is None:
        raise SavedAudienceNotFound(audience_id)
    return audience, latest.revision


def _raise_if_invalid(errors: list) -> None:
    if errors:
        raise InvalidCampaign(errors)
