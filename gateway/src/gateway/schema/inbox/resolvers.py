"""The inbox's queries and mutations (dispatch-svc keeps it and sends the replies)."""

import strawberry

from gateway.operations import errors, inbox
from gateway.schema.errors import answer_of, result_of
from gateway.schema.inbox.types import (
    Conversation,
    ConversationResult,
    InboxMessage,
    ReplyResult,
)
from gateway.schema.info import GatewayInfo
from gateway.schema.permissions import MANAGE_CAMPAIGNS, VIEW


@strawberry.type
class InboxQueries:
    @strawberry.field(
        permission_classes=VIEW,
        description="Patients' SMS conversations with the clinic, the latest first, with unread "
        "counts and assignees.",
    )
    async def inbox(self, info: GatewayInfo) -> list[Conversation] | None:
        found = await answer_of(inbox.list_conversations(info.context.caller()))
        return [Conversation.from_wire(doc) for doc in found]

    @strawberry.field(permission_classes=VIEW, description="Null when there is none.")
    async def conversation(
        self, info: GatewayInfo, patient_id: strawberry.ID
    ) -> Conversation | None:
        found = await result_of(
            inbox.get_conversation(info.context.caller(), str(patient_id)),
            Conversation.from_wire,
            expected=(errors.NotFound,),
        )
        return found if isinstance(found, Conversation) else None


@strawberry.type
class InboxMutations:
    @strawberry.mutation(
        permission_classes=MANAGE_CAMPAIGNS,
        description="Mark a conversation read (a write: view-only staff change nothing).",
    )
    async def mark_conversation_read(
        self, info: GatewayInfo, patient_id: strawberry.ID
    ) -> ConversationResult | None:
        return await result_of(
            inbox.mark_read(info.context.caller(), str(patient_id)),
            Conversation.from_wire,
            expected=(errors.NotFound,),
        )

    @strawberry.mutation(
        permission_classes=MANAGE_CAMPAIGNS,
        description="Assign a conversation to a staff member (their user id), or to nobody (null).",
    )
    async def assign_conversation(
        self, info: GatewayInfo, patient_id: strawberry.ID, assignee: str | None = None
    ) -> ConversationResult | None:
        return await result_of(
            inbox.assign(info.context.caller(), str(patient_id), assignee),
            Conversation.from_wire,
            expected=(errors.NotFound, errors.Invalid),
        )

    @strawberry.mutation(
        permission_classes=MANAGE_CAMPAIGNS,
        description="Reply by SMS from the clinic's number the patient wrote to. NotAllowed when "
        "they opted out (STOP wins) or it is outside the sending hours on their clock; a replyId "
        "(any text the client makes once per reply) keeps a retried call from sending twice.",
    )
    async def reply_to_patient(
        self,
        info: GatewayInfo,
        patient_id: strawberry.ID,
        text: str,
        reply_id: str | None = None,
    ) -> ReplyResult | None:
        return await result_of(
            inbox.reply(info.context.caller(), str(patient_id), text, reply_id),
            InboxMessage.from_wire,
            expected=(errors.Invalid, errors.NotFound, errors.NotAllowed),
        )
