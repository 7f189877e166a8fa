"""inboxReplies: each new patient SMS of the caller's clinic, as it arrives."""

from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry

from gateway.live.inbox import LiveInbox
from gateway.schema.info import GatewayInfo
from gateway.schema.permissions import VIEW
from gateway.schema.wire import to_datetime


@strawberry.type(description="A patient's SMS that just reached the inbox.")
class InboxReply:
    patient_id: strawberry.ID
    campaign_id: strawberry.ID
    body: str
    meaning: str | None
    at: datetime | None


@strawberry.type
class InboxSubscriptions:
    @strawberry.subscription(
        permission_classes=VIEW,
        description="Each patient SMS to your clinic's number as it arrives (from Kafka).",
    )
    async def inbox_replies(self, info: GatewayInfo) -> AsyncGenerator[InboxReply, None]:
        context = info.context
        clinic_id = context.caller().identity.clinic_id
        hub = context.live_inbox or LiveInbox(context.settings)
        async with hub.subscribe(clinic_id) as replies:
            while True:
                reply = await replies.get()
                yield InboxReply(
                    patient_id=strawberry.ID(str(reply.get("patientId"))),
                    campaign_id=strawberry.ID(str(reply.get("campaignId"))),
                    body=str(reply.get("body") or ""),
                    meaning=reply.get("meaning"),
                    at=to_datetime(reply.get("at")),
                )
