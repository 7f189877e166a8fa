"""The campaign resource: what a clinic sends (`CampaignInput`) and what it reads (`Campaign`).

campaign-svc validates with these models (its rules live in `campaign_svc.domain`); the
gateway's OpenAPI document is generated from them.
"""

from typing import Annotated, Any

from pydantic import AwareDatetime, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticUseDefault

from reengage_common.events import (
    CampaignStatus,
    Channel,
    ChannelFallback,
    Incentive,
    MessageTemplate,
    Schedule,
    Targeting,
    Variant,
    Wire,
)


def _null_means_default(value: Any) -> Any:
    if value is None:
        raise PydanticUseDefault()
    return value


def null_means_default(input_type: Any) -> BeforeValidator:
    """An optional field a client may send as null to mean "the default", as JSON clients
    (and GraphQL inputs) commonly do; the document says null is allowed."""
    return BeforeValidator(_null_means_default, json_schema_input_type=input_type | None)


# A valid definition, shown in the document (and the first thing a contract test sends).
EXAMPLE_CAMPAIGN: dict[str, Any] = {
    "name": "Winter recall",
    "targeting": {"inactiveDays": 180, "treatmentStages": ["HYGIENE_RECALL"]},
    "channels": ["EMAIL"],
    "messageTemplates": [
        {
            "channel": "EMAIL",
            "sequence": 1,
            "subject": "We miss you, {{ patient.firstName }}",
            "body": "Your last visit was {{ patient.lastVisitDate | ago }}. Book: {{ bookingLink }}",
        }
    ],
    "schedule": {
        "startDate": "2027-01-04T15:00:00Z",
        "sendTimes": ["10:00"],
        "timezone": "America/Chicago",
    },
}
NAME_MAX_LENGTH = 200
MAX_HOLDOUT_PERCENT = 50


class CampaignInput(Wire):
    """The editable definition a user sends on create and update.

    Status, timestamps and the author are not part of it: they change only through the lifecycle.
    Types are checked here; the rules by campaign-svc's `validate_campaign`.
    """

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_CAMPAIGN]})

    # Not blank, and not too long: a rule of campaign-svc's (with its own message), stated here
    # for the document.
    name: str = Field(json_schema_extra={"pattern": r"\S", "maxLength": NAME_MAX_LENGTH})
    description: str | None = None
    targeting: Targeting
    # Rules of campaign-svc's too (each answered with its own code), stated for the document.
    channels: list[Channel] = Field(json_schema_extra={"minItems": 1, "uniqueItems": True})
    message_templates: list[MessageTemplate] = Field(json_schema_extra={"minItems": 1})
    variants: Annotated[list[Variant], null_means_default(list[Variant])] = Field(
        default_factory=lambda: [Variant(name="A", weight=1)],
        description="Default: one variant A of weight 1",
    )
    holdout_percent: Annotated[float, null_means_default(float)] = Field(
        default=0,
        description="A control group (0-50 %) that gets nothing",
        json_schema_extra={"minimum": 0, "maximum": MAX_HOLDOUT_PERCENT},
    )
    schedule: Schedule
    incentive: Annotated[Incentive, null_means_default(Incentive)] = Field(
        default_factory=Incentive
    )
    refresh_daily: Annotated[bool, null_means_default(bool)] = Field(
        default=False,
        description="While ACTIVE, enrol once a day the patients who newly cross the inactivity line",
    )
    saved_audience_id: str | None = Field(
        default=None,
        description="A saved audience of the clinic: the campaign takes its targeting from it "
        "(on every save and at launch); null to edit the targeting by hand",
    )
    default_language: Annotated[str, null_means_default(str)] = Field(
        default="en",
        description="The language of each step's own template (en or es); a step may add "
        "templates in other languages (translations), and a patient whose language has none "
        "gets this one",
    )
    channel_fallback: Annotated[
        list[ChannelFallback], null_means_default(list[ChannelFallback])
    ] = Field(
        default_factory=list,
        description="Channel fallback, off when empty: a step whose email fails or bounces "
        "(channel EMAIL) or whose SMS is undeliverable (SMS) goes once more by `to`, with "
        "the rule's template, to a patient who consents to it and has that contact; rules "
        "of one channel are tried in their order",
    )
    group_households: Annotated[bool, null_means_default(bool)] = Field(
        default=True,
        description="Patients who share the contact a step goes to (siblings with one "
        "guardian) get one message naming them all (household.names, household.size); "
        "false: one message per patient",
    )


class Campaign(CampaignInput):
    """A stored campaign as the API shows it: its definition plus identity, status and times."""

    # Every field is in every answer, so the document marks them all required.
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

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
        return CampaignInput.model_validate(self.model_dump(include=EDITABLE_FIELDS))


EDITABLE_FIELDS = frozenset(CampaignInput.model_fields)
