"""What a user sends to create or replace a campaign; it mirrors campaign-svc's CampaignInput.

Optional fields left out are left out of the call too, so campaign-svc's defaults apply.
"""

from datetime import datetime

import strawberry
from strawberry import UNSET

from gateway.schema.audience.recall import RecallTargetingInput
from gateway.schema.campaigns.languages import TemplateTranslationInput
from gateway.schema.enums import Channel


@strawberry.input
class TargetingInput:
    inactive_days: int
    treatment_stages: list[str] | None = UNSET
    include_no_shows: bool | None = UNSET
    include_dropouts: bool | None = UNSET
    exclude_recent_contact: bool | None = UNSET
    exclude_contact_days: int | None = UNSET
    recall: RecallTargetingInput | None = UNSET


@strawberry.input
class MessageTemplateInput:
    channel: Channel
    body: str
    sequence: int
    subject: str | None = UNSET
    delay_days: int | None = UNSET
    variant: str | None = UNSET
    translations: list[TemplateTranslationInput] | None = strawberry.field(
        default=UNSET,
        description="The step in other languages than the campaign's defaultLanguage.",
    )


@strawberry.input
class VariantInput:
    name: str
    weight: int | None = UNSET


@strawberry.input
class ScheduleInput:
    # Left out, a draft has no start yet: launching it starts it now.
    start_date: datetime | None = UNSET
    end_date: datetime | None = UNSET
    send_times: list[str] | None = UNSET
    timezone: str | None = UNSET


@strawberry.input
class IncentiveInput:
    has_incentive: bool | None = UNSET
    incentive_details: str | None = UNSET
    incentive_code: str | None = UNSET
    incentive_cost_cents: int | None = UNSET


@strawberry.input(description="A campaign's editable definition; update replaces all of it.")
class CampaignInput:
    name: str
    channels: list[Channel]
    message_templates: list[MessageTemplateInput]
    schedule: ScheduleInput
    targeting: TargetingInput | None = strawberry.field(
        default=UNSET,
        description="Required unless savedAudienceId names the audience to take it from.",
    )
    saved_audience_id: strawberry.ID | None = strawberry.field(
        default=UNSET,
        description="A saved audience: the campaign takes its targeting (on every save and at "
        "launch, replacing any targeting given); null to edit the targeting by hand.",
    )
    description: str | None = UNSET
    variants: list[VariantInput] | None = UNSET
    holdout_percent: float | None = UNSET
    incentive: IncentiveInput | None = UNSET
    default_language: str | None = strawberry.field(
        default=UNSET,
        description="The language of each step's own template: en (the default) or es.",
    )
    refresh_daily: bool | None = strawberry.field(
        default=UNSET,
        description="While ACTIVE, enrol once a day the patients who newly cross the inactivity line.",
    )
