"""The inbox's consumer part (`message.received`), its reads, and the staff's commands: mark
read, assign, reply through the clinic's SMS number (STOP and the sending hours checked)."""

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog

from dispatch_svc import store as dispatch_store
from dispatch_svc.channels.base import Outgoing, ProviderError
from dispatch_svc.channels.sms import SmsChannel
from dispatch_svc.config import DispatchSettings
from dispatch_svc.consent_store import consent_change_of
from dispatch_svc.domain.inbox import (
    INBOUND,
    OUTBOUND,
    ReplyRefused,
    checked_reply,
    conversations,
    refuse_unless_allowed,
    said_stop,
)
from dispatch_svc.domain.send_window import zone
from dispatch_svc.inbox import store
from reengage_common.auth import MANAGE_REMINDERS, VIEW_ANALYTICS, Identity
from reengage_common.clinic import sending_hours
from reengage_common.events import Channel, ClinicProfile, Envelope, MessageReceived

log = structlog.get_logger(__name__)


class ConversationNotFound(LookupError):
    def __init__(self, patient_id: str) -> None:
        super().__init__(f"no conversation with patient {patient_id} in your clinic")


async def record_received(envelopes: list[Envelope[MessageReceived]]) -> None:
    """Each patient's SMS once (by its MessageSid), whatever the redeliveries."""
    records = [
        {
            "_id": e.data.message_sid,
            "clinic_id": e.clinic_id,
            "patient_id": e.data.patient_id,
            "campaign_id": e.data.campaign_id,
            "direction": INBOUND,
            "body": e.data.body,
            "at": e.data.at,
            "meaning": e.data.meaning,
            "sender": e.data.sender,
            "clinic_number": e.data.clinic_number,
            "timezone": e.data.timezone,
            "recorded_at": time.time(),
        }
        for e in envelopes
    ]
    if records:
        await store.store_received(records)


async def read_inbox(identity: Identity) -> list[dict[str, Any]]:
    identity.require(VIEW_ANALYTICS)
    records = await store.recent_messages(identity.clinic_id)
    read, assigned = await store.marks(identity.clinic_id)
    found = conversations([r.message() for r in records], read, assigned)
    return [
        {
            "patientId": c.patient_id,
            "campaignId": c.campaign_id,
            "lastMessage": _message_json(c.last),
            "unread": c.unread,
            "assignee": c.assignee,
            "interested": c.interested,
            "stopped": c.stopped,
        }
        for c in found
    ]


async def read_conversation(identity: Identity, patient_id: str) -> dict[str, Any]:
    identity.require(VIEW_ANALYTICS)
    records = await store.recent_messages(identity.clinic_id, patient_id)
    if not records:
        raise ConversationNotFound(patient_id)
    read, assigned = await store.marks(identity.clinic_id)
    (summary,) = conversations([r.message() for r in records], read, assigned)
    return {
        "patientId": patient_id,
        "campaignId": summary.campaign_id,
        "unread": summary.unread,
        "assignee": summary.assignee,
        "interested": summary.interested,
        "stopped": summary.stopped,
        "messages": [
            _message_json(m) for m in sorted((r.message() for r in records), key=lambda m: m.order)
        ],
    }


@dataclass
class InboxCommands:
    settings: DispatchSettings
    clock: Callable[[], datetime]

    async def mark_read(self, identity: Identity, patient_id: str) -> None:
        identity.require(MANAGE_REMINDERS)  # a write like any other: view-only staff change nothing
        latest = await _latest(identity.clinic_id, patient_id)
        await store.add_mark(
            store.InboxMark(
                id=uuid.uuid4().hex,
                clinic_id=identity.clinic_id,
                patient_id=patient_id,
                kind="read",
                at=latest.at,
                by=identity.user_id,
            )
        )

    async def assign(self, identity: Identity, patient_id: str, assignee: Any) -> None:
        identity.require(MANAGE_REMINDERS)
        if assignee is not None and (not isinstance(assignee, str) or not 0 < len(assignee) <= 128):
            raise ReplyRefused("assignee", "a staff member's user id (or null)", "INVALID")
        await _latest(identity.clinic_id, patient_id)
        await store.add_mark(
            store.InboxMark(
                id=uuid.uuid4().hex,
                clinic_id=identity.clinic_id,
                patient_id=patient_id,
                kind="assigned",
                at=self.clock(),
                assignee=assignee,
                by=identity.user_id,
            )
        )

    async def reply(
        self, identity: Identity, patient_id: str, text: Any, reply_id: str | None
    ) -> dict[str, Any]:
        """Send `text` to the patient from the number they wrote to; one send per `reply_id`."""
        identity.require(MANAGE_REMINDERS)
        body = checked_reply(text)
        records = await store.recent_messages(identity.clinic_id, patient_id)
        inbound = [r for r in records if r.direction == INBOUND]
        if not inbound:
            raise ConversationNotFound(patient_id)
        latest = max(inbound, key=lambda r: r.message().order)
        clinic = await _clinic_profile(latest.campaign_id)
        now = self.clock()
        refuse_unless_allowed(
            stopped=said_stop(r.message() for r in records)
            or await _opted_out(identity.clinic_id, patient_id),
            now=now,
            patient_zone=zone(latest.timezone or (clinic.timezone if clinic else None)),
            window=sending_hours(clinic.quiet_hours if clinic else None),
        )
        record = store.InboxRecord(
            id=f"reply:{reply_id or uuid.uuid4().hex}"[:200],
            clinic_id=identity.clinic_id,
            patient_id=patient_id,
            campaign_id=latest.campaign_id,
            direction=OUTBOUND,
            body=body,
            at=now,
            author=identity.user_id,
            status="SENDING",
        )
        if not await store.claim_reply(record):
            return {"id": record.id, "status": "ALREADY_SENT"}
        status, reason = await self._send(record, latest, clinic)
        await store.reply_outcome(record, status, reason)
        log.info("inbox.replied", clinic_id=identity.clinic_id, status=status)
        return _message_json(record.message())

    async def _send(
        self, record: store.InboxRecord, latest: store.InboxRecord, clinic: ClinicProfile | None
    ) -> tuple[str, str | None]:
        # The number the patient wrote to is the clinic's own (tracking matched it to the
        # campaign's sender); a snapshot without a profile predates profiles.
        base = clinic or ClinicProfile(name="", timezone=latest.timezone or "UTC")
        profile = base.model_copy(update={"sms_from": latest.clinic_number})
        channel = SmsChannel(self.settings.model_copy(update={"sms_connections": 1}))
        await channel.start()
        try:
            await channel.send(
                Outgoing(
                    message_id=record.id,
                    campaign_id=record.campaign_id,
                    patient_id=record.patient_id,
                    clinic_id=record.clinic_id,
                    channel=Channel.SMS,
                    recipient_name=None,
                    email=None,
                    phone=latest.sender,
                    address=None,
                    subject=None,
                    text=record.body,
                    html=None,
                    unsubscribe_link="",
                    booking_link="",
                    clinic=profile,
                )
            )
        except ProviderError as exc:
            return "FAILED", exc.reason[:300]
        finally:
            await channel.close()
        return "SENT", None


async def _latest(clinic_id: str, patient_id: str) -> store.InboxRecord:
    records = await store.recent_messages(clinic_id, patient_id)
    if not records:
        raise ConversationNotFound(patient_id)
    return max(records, key=lambda r: r.message().order)


async def _clinic_profile(campaign_id: str) -> ClinicProfile | None:
    """The clinic's profile as the campaign the patient answered was launched with."""
    launches = [
        e
        for e in await dispatch_store.campaign_events([campaign_id])
        if e.get("kind") == "launched"
    ]
    if not launches:
        return None
    latest = max(launches, key=lambda e: e["at"])
    return dispatch_store.snapshot_of(latest).clinic


async def _opted_out(clinic_id: str, patient_id: str) -> bool:
    """An UNSUBSCRIBED response, or the latest consent change withholding SMS (or all)."""
    responses = await dispatch_store.responses_of_clinic(clinic_id)
    if any(r["patient_id"] == patient_id and r["kind"] == "UNSUBSCRIBED" for r in responses):
        return True
    changes = await (
        dispatch_store.collection(dispatch_store.ConsentChangeRecord)
        .find({"clinic_id": clinic_id, "patient_id": patient_id})
        .to_list()
    )
    if not changes:
        return False
    latest = max((consent_change_of(c) for c in changes), key=lambda c: c.at)
    return latest.do_not_contact or latest.deceased or Channel.SMS in latest.withheld


def _message_json(message: Any) -> dict[str, Any]:
    return {
        "id": message.id,
        "campaignId": message.campaign_id,
        "direction": message.direction,
        "body": message.body,
        "at": message.at.isoformat(),
        "meaning": message.meaning,
        "author": message.author,
        "status": message.status,
        "reason": message.reason,
    }
