"""Enums every domain shares, the same values as the event contract in reengage_common."""

import strawberry

from reengage_common import events

CampaignStatus = strawberry.enum(events.CampaignStatus, name="CampaignStatus")
Channel = strawberry.enum(events.Channel, name="Channel")
