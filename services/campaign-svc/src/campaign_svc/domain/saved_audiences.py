"""Saved audiences: a targeting kept under a name and reused by campaigns. Pure rules, no I/O.

A campaign that names a saved audience (`savedAudienceId`) takes its targeting from it on
every save and again at launch, so a draft follows the audience's edits until it goes live;
the launch's snapshot then freezes it like any other targeting.
"""

import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, Field, ValidationError

from campaign_svc.domain.model import FieldError, InvalidCampaign
from campaign_svc.domain.validation import targeting_errors
from reengage_common.error_codes import CampaignErrorCode as Code
from reengage_common.error_codes import field_problems
from reengage_common.events import Targeting, Wire

NAME_MAX_LENGTH = 100
DESCRIPTION_MAX_LENGTH = 500
# A clinic keeps tens of audiences; the list is folded from their revisions in memory.
MAX_SAVED_AUDIENCES_PER_CLINIC = 200


class SavedAudienceInput(Wire):
    """What a clinic sends to create or replace a saved audience."""

    name: str = Field(json_schema_extra={"pattern": r"\S", "maxLength": NAME_MAX_LENGTH})
    description: str | None = None
    targeting: Targeting


class SavedAudience(SavedAudienceInput):
    id: str
    created_by: str | None = None
    created_at: AwareDatetime
    updated_at: AwareDatetime


def parse_saved_audience(document: Any) -> SavedAudienceInput:
    """Read a request strictly as JSON, or raise InvalidCampaign naming each bad field."""
    try:
        return SavedAudienceInput.model_validate_json(json.dumps(document), strict=True)
    except ValidationError as exc:
        raise InvalidCampaign(
            [
                FieldError(problem.field, problem.message, Code(problem.code))
                for problem in field_problems(exc, "audience")
            ]
        ) from exc


def saved_audience_errors(audience: SavedAudienceInput) -> list[FieldError]:
    """Every rule the audience breaks, each naming its field; empty when it may be saved."""
    return [
        *_name_errors(audience.name),
        *_description_errors(audience.description),
        *targeting_errors(audience.targeting),
    ]


def _name_errors(name: str) -> Iterator[FieldError]:
    if not name.strip():
        yield FieldError("name", "a saved audience needs a name", Code.REQUIRED)
    elif len(name) > NAME_MAX_LENGTH:
        yield FieldError(
            "name", f"must be at most {NAME_MAX_LENGTH} characters, not {len(name)}", Code.TOO_LONG
        )


def _description_errors(description: str | None) -> Iterator[FieldError]:
    if description is not None and len(description) > DESCRIPTION_MAX_LENGTH:
        yield FieldError(
            "description", f"must be at most {DESCRIPTION_MAX_LENGTH} characters", Code.TOO_LONG
        )


def name_key(name: str) -> str:
    """Two names a person reads as one ("Lapsed  hygiene" and "lapsed hygiene") share a key."""
    return " ".join(name.split()).casefold()


def name_taken(name: str) -> FieldError:
    return FieldError("name", f"another saved audience is called '{name}'", Code.DUPLICATE)


def too_many() -> FieldError:
    return FieldError(
        "audience",
        f"a clinic keeps at most {MAX_SAVED_AUDIENCES_PER_CLINIC} saved audiences; delete one",
        Code.OUT_OF_RANGE,
    )


def unknown_audience(audience_id: str) -> FieldError:
    return FieldError(
        "savedAudienceId",
        f"no saved audience {audience_id} in your clinic",
        Code.UNKNOWN_AUDIENCE,
    )


def referenced_audience(body: Any) -> str | None:
    """The `savedAudienceId` a create or update request names, if it names one as a text."""
    if isinstance(body, Mapping):
        value = body.get("savedAudienceId", body.get("saved_audience_id"))
        return value if isinstance(value, str) else None
    return None


def with_targeting(body: Mapping[str, Any], targeting: Targeting) -> dict[str, Any]:
    """The request with the saved audience's targeting in place of any it carried."""
    return {**body, "targeting": targeting.model_dump(mode="json", by_alias=True)}


def revised(current: SavedAudience, change: SavedAudienceInput, *, at: datetime) -> SavedAudience:
    """The audience after a replace: its identity and creation kept, the rest the change's."""
    return SavedAudience(
        **change.model_dump(),
        id=current.id,
        created_by=current.created_by,
        created_at=current.created_at,
        updated_at=at,
    )
