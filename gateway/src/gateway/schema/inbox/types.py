"""Conversations and their messages as GraphQL shows them, from dispatch-svc's JSON."""

from datetime import datetime
from typing import Annotated, Any

import strawberry

from gateway.schema.campaigns.types import Campaign, campaign_from_wire
from gateway.schema.errors import NotAllowed, NotFound, ValidationError, answer_of
from gateway.schema.info import GatewayInfo
from gateway.schema.permissions import VIEW
from gateway.schema.wire import to_datetime


@strawberry.type(description="One SMS of a conversation: the patient's, or a staff reply.")
class InboxMessage:
    id: strawberry.ID
    direction: str = strawberry.field(description="INBOUND (the patient) or OUTBOUND (staff)")
    body: str
    at: datetime | None
    meaning: str | None = strawberry.field(
        description="An inbound message's reading: STOP, HELP, INTERESTED, NOT_INTERESTED, OTHER"
    )
    author: str | None = strawberry.field(description="The staff member who replied")
    status: str | None = strawberry.field(description="A reply's: SENT or FAILED")
    reason: str | None

    @classmethod
    def from_wire(cls, doc: dict[str, Any]) -> "InboxMessage":
        return cls(
            id=strawberry.ID(doc["id"]),
            direction=doc["direction"],
            body=doc["body"],
            at=to_datetime(doc.get("at")),
            meaning=doc.get("meaning"),
            author=doc.get("author"),
            status=doc.get("status"),
            reason=doc.get("reason"),
        )


@strawberry.type(description="A patient's SMS conversation with the clinic.")
class Conversation:
    patient_id: strawberry.ID
    campaign_id: strawberry.ID = strawberry.field(
        description="The campaign the patient's latest message answered."
    )
    unread: int
    assignee: str | None
    interested: bool = strawberry.field(description="The patient asked to book.")
    stopped: bool = strawberry.field(description="The patient opted out (STOP): no replies.")
    last_message: InboxMessage | None
    messages: list[InboxMessage] = strawberry.field(
        description="Oldest first (only on conversation(patientId))."
    )

    @strawberry.field(permission_classes=VIEW, description="The campaign it answered.")
    async def campaign(self, info: GatewayInfo) -> Campaign | None:
        loader = info.context.loaders.campaign_document_by_id
        document = await answer_of(loader.load(str(self.campaign_id)))
        return campaign_from_wire(document) if document else None

    @classmethod
    def from_wire(cls, doc: dict[str, Any]) -> "Conversation":
        last = doc.get("lastMessage")
        messages = [InboxMessage.from_wire(m) for m in doc.get("messages") or []]
        return cls(
            patient_id=strawberry.ID(doc["patientId"]),
            campaign_id=strawberry.ID(doc["campaignId"]),
            unread=int(doc.get("unread") or 0),
            assignee=doc.get("assignee"),
            interested=bool(doc.get("interested")),
            stopped=bool(doc.get("stopped")),
            last_message=InboxMessage.from_wire(last)
            if last
            else (messages[-1] if messages else None),
            messages=messages,
        )


ConversationResult = Annotated[
    Conversation | ValidationError | NotFound, strawberry.union("ConversationResult")
]
ReplyResult = Annotated[
    InboxMessage | ValidationError | NotFound | NotAllowed, strawberry.union("ReplyResult")
]
