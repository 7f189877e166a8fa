"""The campaign as a clinic defines it, and how a malformed request becomes field errors."""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, Field, ValidationError
from pydantic.alias_generators import to_camel

from reengage_common.events import (
    CampaignStatus,
    Channel,
    Incentive,
    MessageTemplate,
    Schedule,
    Targeting,
    Variant,
    Wire,
)

NAME_MAX_LENGTH = 200


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
    """One problem with a campaign: `field` is a camelCase path such as `messageTemplates.1.subject`."""

    field: str
    message: str


class CampaignInput(Wire):
    """The editable definition a user sends on create and update.

    Status, timestamps and the author are not part of it: they change only through the lifecycle.
    Types are checked by pydantic (see `field_errors`); the rules by `validate_campaign`.
    """

    name: str
    description: str | None = None
    targeting: Targeting
    channels: list[Channel]
    message_templates: list[MessageTemplate]
    variants: list[Variant] = Field(default_factory=lambda: [Variant(name="A", weight=1)])
    holdout_percent: float = 0
    schedule: Schedule
    incentive: Incentive = Field(default_factory=Incentive)
    # While ACTIVE, enrol once a day the patients who newly cross the inactivity line.
    refresh_daily: bool = False


class Campaign(CampaignInput):
    """A stored campaign as the API shows it: its definition plus identity, status and times."""

    id: str
    clinic_id: str | None = None
    status: CampaignStatus = CampaignStatus.DRAFT
    # 0 until it first goes live; the run its campaign.launched snapshot carries.
    run_number: int = 0
    created_by: str | None = None
    created_at: AwareDatetime
    updated_at: AwareDatetime
    launched_at: AwareDatetime | None = None
    completed_at: AwareDatetime | None = None

    @property
    def definition(self) -> CampaignInput:
        return CampaignInput.model_validate(self.model_dump(include=set(_EDITABLE_FIELDS)))


_EDITABLE_FIELDS = frozenset(CampaignInput.model_fields)

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
        FieldError(field=_wire_path(error["loc"]), message=_friendly_message(error))
        for error in exc.errors()
    ]


def parse_campaign_input(document: Any) -> CampaignInput:
    """Read a create request (camelCase JSON), or raise InvalidCampaign naming each bad field."""
    try:
        return CampaignInput.model_validate(document)
    except ValidationError as exc:
        raise InvalidCampaign(field_errors(exc)) from exc


def apply_changes(current: CampaignInput, changes: Mapping[str, Any]) -> CampaignInput:
    """A partial update: given fields replace the current ones; targeting, schedule and
    incentive merge key by key so `{"schedule": {"endDate": ...}}` keeps the start date.

    Raises InvalidCampaign naming each bad field.
    """
    if not isinstance(changes, Mapping):
        raise InvalidCampaign([FieldError("campaign", "expected a JSON object")])
    merged = current.model_dump(mode="json", by_alias=True)
    for key, value in changes.items():
        name = to_camel(key)
        if name in _MERGED_OBJECTS and isinstance(value, Mapping):
            merged[name] = {**merged[name], **{to_camel(k): v for k, v in value.items()}}
        else:
            merged[name] = value
    return parse_campaign_input(merged)


def _wire_path(loc: tuple[int | str, ...]) -> str:
    if not loc:
        return "campaign"
    return ".".join(str(part) if isinstance(part, int) else to_camel(part) for part in loc)


def _friendly_message(error: Any) -> str:
    kind = error["type"]
    if kind == "missing":
        return "is required"
    # pydantic would name our Python classes here, which mean nothing to a clinic.
    if kind in {"model_type", "dict_type", "model_attributes_type"}:
        return "expected an object"
    return str(error["msg"])
