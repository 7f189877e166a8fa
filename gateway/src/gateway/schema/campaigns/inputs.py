"""What a user sends to create or replace a campaign: campaign-svc's `CampaignInput` resource.

Optional fields left out are left out of the call too, so campaign-svc's defaults apply.
"""

from datetime import datetime

import strawberry
from strawberry import auto

from gateway.schema.audience.recall import RecallTargetingInput
from gateway.schema.campaigns.languages import TemplateTranslationInput
from gateway.schema.resource_types import input_type
from reengage_common import events
from reengage_common.resources import campaigns


@input_type(events.Targeting)
class TargetingInput:
    inactive_days: auto
    treatment_stages: auto
    include_no_shows: auto
    include_dropouts: auto
    exclude_recent_contact: auto
    exclude_contact_days: auto
    recall: RecallTargetingInput | None


@input_type(events.MessageTemplate)
class MessageTemplateInput:
    channel: auto
    body: auto
    sequence: auto
    subject: auto
    delay_days: auto
    variant: auto
    translations: list[TemplateTranslationInput] | None = strawberry.field(
        description="The step in other languages than the campaign's defaultLanguage."
    )


@input_type(
    events.ChannelFallback,
    description="Where a step goes when its channel fails (see ChannelFallback).",
)
class ChannelFallbackInput:
    channel: auto
    to: auto
    body: auto
    subject: auto


@input_type(events.Variant)
class VariantInput:
    name: auto
    weight: auto


@input_type(events.Schedule)
class ScheduleInput:
    # strawberry maps no pydantic AwareDatetime: the times are named here.
    # Left out, a draft has no start yet: launching it starts it now.
    start_date: datetime | None
    end_date: datetime | None
    send_times: auto
    timezone: auto


@input_type(events.Incentive)
class IncentiveInput:
    has_incentive: auto
    incentive_details: auto
    incentive_code: auto
    incentive_cost_cents: auto


@input_type(
    campaigns.CampaignInput,
    description="A campaign's editable definition; update replaces all of it.",
)
class CampaignInput:
    name: auto
    channels: auto
    message_templates: list[MessageTemplateInput]
    schedule: ScheduleInput
    targeting: TargetingInput | None = strawberry.field(
        description="Required unless savedAudienceId names the audience to take it from."
    )
    saved_audience_id: strawberry.ID | None = strawberry.field(
        description="A saved audience: the campaign takes its targeting (on every save and at "
        "launch, replacing any targeting given); null to edit the targeting by hand."
    )
    description: auto
    variants: list[VariantInput] | None
    holdout_percent: auto
    incentive: IncentiveInput | None
    default_language: str | None = strawberry.field(
        description="The language of each step's own template: en (the default) or es."
    )
    refresh_daily: auto = strawberry.field(
        description="While ACTIVE, enrol once a day the patients who newly cross the inactivity line."
    )
    channel_fallback: list[ChannelFallbackInput] | None = strawberry.field(
        description="Channel fallback, off when empty or left out: a step whose EMAIL fails or "
        "bounces, or whose SMS is undeliverable, goes once more by `to` (rules of one channel "
        "in their order) to a patient who consents to it and has that contact."
    )
    group_households: auto = strawberry.field(
        description="Patients who share the contact a step goes to (siblings with one "
        "guardian) get one message naming them all; false: one message per patient. "
        "Default (and null): true."
    )
