"""A campaign recipient, folded from its facts; its status only moves forward.

    PENDING ─▶ CONTACTED ─▶ BOUNCED ─▶ RESPONDED ─▶ UNSUBSCRIBED ─▶ REBOOKED

The status is the highest-ranked one the facts reach, so a late CONTACTED never overwrites
REBOOKED, and the same facts in any order fold to the same recipient.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from reengage_common.events import ResponseKind, SendOutcome
from reengage_common.resources.recipients import RECIPIENT_STATUSES
from tracking_svc.domain import facts as f
from tracking_svc.domain.facts import Fact

V = TypeVar("V")


class cached_property(Generic[V]):
    """functools.cached_property without its lock (Python 3.11 takes one per read): computed
    once, then stored in the instance, where later reads find it without calling us."""

    def __init__(self, compute: "Callable[[Any], V]") -> None:
        self.compute = compute
        self.name = compute.__name__

    def __get__(self, instance: Any, owner: type | None = None) -> V:
        value = self.compute(instance)
        instance.__dict__[self.name] = value
        return value


# The order is the resource's, which the gateway documents and a status query is checked against.
STATUS_ORDER = RECIPIENT_STATUSES
STATUS_RANK = {status: rank for rank, status in enumerate(STATUS_ORDER)}
# Answers that count as the patient responding (a free SMS reply does too).
RESPONSE_KINDS = {"INTERESTED", "NOT_INTERESTED", "CLICKED", "REBOOKED"}


@dataclass
class Step:
    message_id: str
    sequence: int
    channel: str
    variant: str
    due_at: str | None = None
    outcome: str | None = None
    reason: str | None = None
    cost_cents: int = 0
    at: str | None = None
    delivered: bool = False
    # a channel fallback's: the messageId of the step's message it replaced (issue 22 #8)
    fallback_for: str | None = None


@dataclass
class Rebooking:
    appointment_id: str
    at: str
    revenue_cents: int
    incentive_code: str | None
    cancelled: bool = False


@dataclass
class Recipient:
    patient_id: str
    first_name: str | None = None
    last_name: str | None = None
    variant: str | None = None
    holdout: bool = False
    steps: dict[str, Step] = field(default_factory=dict)
    responses: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # kind: (at, ch)
    rebookings: dict[str, Rebooking] = field(default_factory=dict)
    holdout_bookings: dict[str, Rebooking] = field(default_factory=dict)
    replies: list[dict[str, Any]] = field(default_factory=list)

    # --- derived (read once the fold is complete; cached) ------------------------------------

    @cached_property
    def contacted(self) -> bool:
        return any(step.outcome == SendOutcome.SENT for step in self.steps.values())

    @cached_property
    def status(self) -> str:
        reached = ["PENDING"]
        if self.contacted:
            reached.append("CONTACTED")
        if ResponseKind.BOUNCED in self.responses:
            reached.append("BOUNCED")
        if self.responded_at is not None:
            reached.append("RESPONDED")
        if ResponseKind.UNSUBSCRIBED in self.responses:
            reached.append("UNSUBSCRIBED")
        if self.rebookings:
            reached.append("REBOOKED")
        return max(reached, key=STATUS_RANK.__getitem__)

    @cached_property
    def responded_at(self) -> str | None:
        moments = [at for kind, (at, _) in self.responses.items() if kind in RESPONSE_KINDS]
        moments += [booking.at for booking in self.rebookings.values()]
        moments += [reply["at"] for reply in self.replies]
        return min(moments, default=None)

    @cached_property
    def response(self) -> str:
        if self.rebookings:
            return "REBOOKED"
        answers = [
            (at, "INTERESTED" if kind == "CLICKED" else kind)
            for kind, (at, _) in self.responses.items()
            if kind in {"INTERESTED", "NOT_INTERESTED", "CLICKED"}
        ]
        return max(answers)[1] if answers else "NO_RESPONSE"

    @cached_property
    def interested(self) -> bool:
        return bool({"INTERESTED", "CLICKED"} & set(self.responses)) or bool(self.rebookings)

    @cached_property
    def live_rebookings(self) -> list[Rebooking]:
        return [b for b in self.rebookings.values() if not b.cancelled]

    @property
    def rebooked_appointment_id(self) -> str | None:
        chosen = self.live_rebookings or list(self.rebookings.values())
        return (
            max(chosen, key=lambda b: (b.at, b.appointment_id)).appointment_id if chosen else None
        )

    @property
    def sent_steps(self) -> list[Step]:
        return [s for s in self.steps.values() if s.outcome == SendOutcome.SENT]

    @property
    def last_contacted_at(self) -> str | None:
        return max((s.at for s in self.sent_steps if s.at), default=None)

    @property
    def contact_attempts(self) -> int:
        tried = {SendOutcome.SENT, SendOutcome.FAILED}
        return sum(1 for s in self.steps.values() if s.outcome in tried)

    @property
    def channels(self) -> list[str]:
        return sorted({s.channel for s in self.sent_steps})

    def history(self) -> list[dict[str, Any]]:
        # a step's channel fallback after the message it replaced
        ordered = sorted(
            self.steps.values(),
            key=lambda s: (s.sequence, s.fallback_for is not None, s.message_id),
        )
        return [
            {
                "messageId": s.message_id,
                "sequence": s.sequence,
                "channel": s.channel,
                "outcome": s.outcome or "DUE",
                "reason": s.reason,
                "costCents": s.cost_cents,
                "delivered": s.delivered,
                "at": s.at or s.due_at,
                "fallbackFor": s.fallback_for,
            }
            for s in ordered
        ]

    def to_json(self) -> dict[str, Any]:
        name = " ".join(part for part in (self.first_name, self.last_name) if part) or None
        steps = sorted(self.steps.values(), key=lambda s: (s.at or s.due_at or "", s.sequence))
        return {
            "patientId": self.patient_id,
            "firstName": self.first_name,
            "lastName": self.last_name,
            "name": name,
            "status": self.status,
            "response": self.response,
            "variant": self.variant,
            "holdout": self.holdout,
            "channels": self.channels,
            "channel": steps[-1].channel if steps else None,
            "lastContactedAt": self.last_contacted_at,
            "contactAttempts": self.contact_attempts,
            "respondedAt": self.responded_at,
            "rebookedAppointmentId": self.rebooked_appointment_id,
            "lastEventAt": self.last_event_at(),
            "replies": sorted(self.replies, key=lambda r: r["at"]),
            "history": self.history(),
        }

    def last_event_at(self) -> str | None:
        moments = [s.at or s.due_at for s in self.steps.values()]
        moments += [at for at, _ in self.responses.values()]
        moments += [b.at for b in self.rebookings.values()]
        moments += [r["at"] for r in self.replies]
        return max((m for m in moments if m), default=None)


@dataclass
class CampaignFacts:
    """Everything folded for one campaign: its recipients and its audience evaluations."""

    recipients: dict[str, Recipient] = field(default_factory=dict)
    evaluations: list[dict[str, Any]] = field(default_factory=list)


def fold(all_facts: list[Fact]) -> CampaignFacts:
    """Recipients from facts already made unique (`facts.unique_facts`), in any order."""
    folded = CampaignFacts()
    cancelled: set[str] = set()
    for fact in all_facts:
        if fact.kind == f.EVALUATED:
            folded.evaluations.append(fact.data)
            continue
        if fact.kind == f.CANCELLED:
            cancelled.add(fact.data["a"])
            continue
        recipient = folded.recipients.get(fact.patient_id)
        if recipient is None:
            recipient = folded.recipients[fact.patient_id] = Recipient(fact.patient_id)
        _apply(recipient, fact)
    for recipient in folded.recipients.values():
        for booking in [*recipient.rebookings.values(), *recipient.holdout_bookings.values()]:
            booking.cancelled = booking.appointment_id in cancelled
    return folded


def _apply(recipient: Recipient, fact: Fact) -> None:
    data = fact.data
    if fact.kind in (f.DUE, f.SENT, f.DELIVERED):
        step = recipient.steps.get(data["m"])
        if step is None:
            step = recipient.steps[data["m"]] = Step(
                data["m"], data.get("s", 0), data.get("ch", ""), data.get("v", "A")
            )
        step.fallback_for = step.fallback_for or data.get("fb")
        if fact.kind == f.DUE:
            step.sequence, step.channel, step.variant = data["s"], data["ch"], data["v"]
            step.due_at = fact.at
            recipient.first_name = recipient.first_name or data.get("fn")
            recipient.last_name = recipient.last_name or data.get("ln")
            recipient.variant = recipient.variant or data.get("v")
        elif fact.kind == f.SENT:
            step.sequence, step.channel, step.variant = data["s"], data["ch"], data["v"]
            step.outcome, step.reason = data["o"], data.get("r")
            step.cost_cents, step.at = data.get("c", 0), fact.at
            recipient.variant = recipient.variant or data.get("v")
        else:
            step.delivered = True
    elif fact.kind == f.HELD:
        recipient.holdout = True
        recipient.variant = recipient.variant or data.get("v")
    elif fact.kind == f.RESPONSE:
        kind = data["r"]
        if kind == ResponseKind.REBOOKED:
            recipient.rebookings[data["a"]] = Rebooking(
                data["a"], fact.at, data.get("rev", 0), data.get("code")
            )
        else:
            held = recipient.responses.get(kind)
            if held is None or (fact.at, data.get("ch") or "") < (held[0], held[1] or ""):
                recipient.responses[kind] = (fact.at, data.get("ch"))
    elif fact.kind == f.HOLDOUT_BOOKED:
        recipient.holdout = True
        recipient.holdout_bookings[data["a"]] = Rebooking(
            data["a"], fact.at, data.get("rev", 0), None
        )
    elif fact.kind == f.REPLY:
        recipient.replies.append({"at": fact.at, "text": data.get("text", ""), "channel": "SMS"})
