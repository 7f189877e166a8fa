"""The front desk's inbox: conversations per patient from the SMS they send the clinic's
number (`message.received`) and the staff's replies. Pure rules: no I/O.

A staff reply goes through the clinic's SMS number under the rules every message obeys: never
to a patient who said STOP (their STOP in this conversation, an UNSUBSCRIBED response, or a
consent change withholding SMS, do-not-contact or deceased), and only within the sending hours
(08:00-21:00, narrowed by the clinic's quiet hours) on the patient's clock.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from dispatch_svc.domain.send_window import Window, in_waking_hours, next_waking_moment

REPLY_MAX_LENGTH = 1600  # Twilio's limit for one message's body
INBOUND, OUTBOUND = "INBOUND", "OUTBOUND"


@dataclass(frozen=True)
class InboxMessage:
    id: str
    clinic_id: str
    patient_id: str
    campaign_id: str
    direction: str  # INBOUND from the patient, OUTBOUND a staff reply
    body: str
    at: datetime
    meaning: str | None = None  # an inbound message's (STOP, HELP, INTERESTED, ...)
    author: str | None = None  # an outbound message's staff member
    status: str | None = None  # an outbound message's: SENT or FAILED (with its reason)
    reason: str | None = None
    # When it was stored (wall clock): orders messages whose `at` is alike (a test's clock
    # held still, two SMS in one second).
    seq: float = 0.0

    @property
    def order(self) -> tuple[datetime, float, str]:
        return (self.at, self.seq, self.id)


@dataclass(frozen=True)
class Conversation:
    patient_id: str
    campaign_id: str  # the campaign the patient's latest message answered
    last: InboxMessage
    unread: int
    assignee: str | None
    interested: bool  # the patient asked to book (INTERESTED) in this conversation
    stopped: bool


class ReplyRefused(Exception):
    """A reply the rules do not allow now; `code` says why, `field` where."""

    def __init__(self, field: str, message: str, code: str) -> None:
        super().__init__(message)
        self.field, self.message, self.code = field, message, code


def checked_reply(text: object) -> str:
    if not isinstance(text, str):
        raise ReplyRefused("text", "a reply is a text", "INVALID_TYPE")
    if not text.strip():
        raise ReplyRefused("text", "a reply needs words", "REQUIRED")
    if len(text) > REPLY_MAX_LENGTH:
        raise ReplyRefused("text", f"at most {REPLY_MAX_LENGTH} characters", "TOO_LONG")
    return text.strip()


def said_stop(messages: Iterable[InboxMessage]) -> bool:
    """The patient's last STOP in this conversation came after anything they said since."""
    inbound = [m for m in messages if m.direction == INBOUND]
    return bool(inbound) and max(inbound, key=lambda m: m.order).meaning == "STOP"


def refuse_unless_allowed(
    *, stopped: bool, now: datetime, patient_zone: ZoneInfo, window: Window
) -> None:
    """STOP wins over everything; then the sending hours on the patient's clock."""
    if stopped:
        raise ReplyRefused(
            "patient", "the patient opted out of SMS (STOP); no reply can be sent", "OPTED_OUT"
        )
    if not in_waking_hours(now, patient_zone, window):
        opens = next_waking_moment(now, patient_zone, window).astimezone(patient_zone)
        raise ReplyRefused(
            "text",
            f"outside the sending hours on the patient's clock; send from {opens:%H:%M} "
            f"({patient_zone.key}) on {opens:%Y-%m-%d}",
            "OUTSIDE_LEGAL_HOURS",
        )


def conversations(
    messages: Sequence[InboxMessage],
    read_up_to: dict[str, datetime],
    assignees: dict[str, str | None],
) -> list[Conversation]:
    """One per patient, the latest first: its last message, how many of the patient's
    messages came after the last read, its assignee."""
    by_patient: dict[str, list[InboxMessage]] = {}
    for message in messages:
        by_patient.setdefault(message.patient_id, []).append(message)
    found = []
    for patient_id, theirs in by_patient.items():
        theirs.sort(key=lambda m: m.order)
        read = read_up_to.get(patient_id)
        inbound = [m for m in theirs if m.direction == INBOUND]
        found.append(
            Conversation(
                patient_id=patient_id,
                campaign_id=(inbound or theirs)[-1].campaign_id,
                last=theirs[-1],
                unread=sum(1 for m in inbound if read is None or m.at > read),
                assignee=assignees.get(patient_id),
                interested=any(m.meaning == "INTERESTED" for m in inbound),
                stopped=said_stop(theirs),
            )
        )
    return sorted(found, key=lambda c: (c.last.order, c.patient_id), reverse=True)
