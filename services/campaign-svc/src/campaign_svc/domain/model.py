"""The campaign's domain rules on its shared shape: how a malformed request becomes field
errors, and how a partial update merges into a definition."""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import ValidationError
from pydantic.alias_generators import to_camel

from reengage_common.error_codes import CampaignErrorCode, field_problems

# The resource's shape is shared with the gateway's OpenAPI document (re-exported for the
# service's modules); its rules live here.
from reengage_common.resources.campaigns import NAME_MAX_LENGTH as NAME_MAX_LENGTH
from reengage_common.resources.campaigns import Campaign as Campaign
from reengage_common.resources.campaigns import CampaignInput


class TreatmentStage(StrEnum):
    NEW_PATIENT = "NEW_PATIENT"
    CONSULTATION = "CONSULTATION"
    TREATMENT_PLANNED = "TREATMENT_PLANNED"
    ACTIVE_TREATMENT = "ACTIVE_TREATMENT"
    RETENTION = "RETENTION"
    HYGIENE_RECALL = "HYGIENE_RECALL"
    COMPLETED = "COMPLETED"


@dataclass(frozen=True)
class FieldError:
    """One problem with a campaign: `field` is a camelCase path such as `messageTemplates.1.subject`;
    `code` says what is wrong for a client that reacts without reading the message."""

    field: str
    message: str
    code: CampaignErrorCode


# Objects a partial update merges key by key; every other field (lists included) is replaced.
_MERGED_OBJECTS = frozenset({"targeting", "schedule", "incentive"})


class InvalidCampaign(ValueError):
    """The request cannot become a campaign; `errors` name every offending field."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{error.field}: {error.message}" for error in errors))
        self.errors = errors


def field_errors(exc: ValidationError) -> list[FieldError]:
    """Translate pydantic's complaints into our field errors, with camelCase paths."""
    return [
        FieldError(problem.field, problem.message, CampaignErrorCode(problem.code))
        for problem in field_problems(exc, "campaign")
    ]


def parse_campaign_input(document: Any) -> CampaignInput:
    """Read a create request (camelCase JSON), or raise InvalidCampaign naming each bad field.

    Strictly, as JSON: what the document types as a boolean must be one (not 0 or "yes"), a
    number not a string; dates and enums are read from their JSON strings.
    """
    try:
        return CampaignInput.model_validate_json(json.dumps(document), strict=True)
    except ValidationError as exc:
        raise InvalidCampaign(field_errors(exc)) from exc


def apply_changes(current: CampaignInput, changes: Mapping[str, Any]) -> CampaignInput:
    """A partial update: given fields replace the current ones; targeting, schedule and
    incentive merge key by key so `{"schedule": {"endDate": ...}}` keeps the start date.

    Raises InvalidCampaign naming each bad field.
    """
    if not isinstance(changes, Mapping):
        raise InvalidCampaign(
            [FieldError("campaign", "expected a JSON object", CampaignErrorCode.INVALID_TYPE)]
        )
    merged = current.model_dump(mode="json", by_alias=True)
    for key, value in changes.items():
        name = to_camel(key)
        if name in _MERGED_OBJECTS and isinstance(value, Mapping):
            merged[name] = {**merged[name], **{to_camel(k): v for k, v in value.items()}}
        else:
            merged[name] = value
    return parse_campaign_input(merged)
