"""Events into facts: one pure function per event, each fact keyed so a repeat is the same fact."""

from typing import Any

from reengage_common.events import (
    AudienceEvaluated,
    Envelope,
    MessageDue,
    MessageSent,
    RecipientHeldOut,
    RecipientResponded,
    ResponseKind,
)
from tracking_svc.domain import facts as f
from tracking_svc.domain.facts import Fact, iso


def _patient_names(due: MessageDue) -> tuple[str | None, str | None]:
    patient = due.merge_data.get("patient") if isinstance(due.merge_data, dict) else None
    patient = patient if isinstance(patient, dict) else {}
    first, last = patient.get("firstName"), patient.get("lastName")
    return (first if isinstance(first, str) else None, last if isinstance(last, str) else None)


def due_fact(due: MessageDue) -> Fact:
    first, last = _patient_names(due)
    data: dict[str, Any] = {"m": due.message_id, "s": due.sequence, "ch": due.channel.value}
    data["v"] = due.variant
    if due.fallback_for:
        data["fb"] = due.fallback_for
    if first:
        data["fn"] = first
    if last:
        data["ln"] = last
    return Fact(f.DUE, f"due:{due.message_id}", due.patient_id, iso(due.due_at), data)


def household_due_facts(due: MessageDue) -> list[Fact]:
    """A household message's due fact for each member it names, under their own messageId:
    each is a recipient of their own (audience-svc's `domain/households.py`)."""
    facts = []
    for member in due.household:
        data: dict[str, Any] = {"m": member.message_id, "s": due.sequence}
        data.update(ch=due.channel.value, v=due.variant)
        first, last = member.patient.get("firstName"), member.patient.get("lastName")
        if isinstance(first, str) and first:
            data["fn"] = first
        if isinstance(last, str) and last:
            data["ln"] = last
        key = f"due:{member.message_id}"
        facts.append(Fact(f.DUE, key, member.patient_id, iso(due.due_at), data))
    return facts


def sent_fact(sent: MessageSent) -> Fact:
    data: dict[str, Any] = {
        "m": sent.message_id,
        "s": sent.sequence,
        "ch": sent.channel.value,
        "v": sent.variant,
        "o": sent.outcome.value,
        "c": sent.cost_cents,
    }
    if sent.reason:
        data["r"] = sent.reason
    if sent.fallback_for:
        data["fb"] = sent.fallback_for
    return Fact(f.SENT, f"sent:{sent.message_id}", sent.patient_id, iso(sent.at), data)


def held_fact(held: RecipientHeldOut) -> Fact:
    key = f"held:{held.campaign_id}:{held.patient_id}"
    return Fact(f.HELD, key, held.patient_id, iso(held.at), {"v": held.variant or "A"})


def evaluated_fact(evaluated: AudienceEvaluated) -> Fact:
    at = iso(evaluated.at)
    data = {
        "run": evaluated.run_number,
        "targeted": evaluated.targeted,
        "heldOut": evaluated.held_out,
        "excluded": dict(evaluated.excluded),
    }
    return Fact(
        f.EVALUATED, f"eval:{evaluated.campaign_id}:{evaluated.run_number}:{at}", "", at, data
    )


def response_fact(responded: RecipientResponded, incentive_code: str | None = None) -> Fact:
    data: dict[str, Any] = {"r": responded.kind.value}
    if responded.channel:
        data["ch"] = responded.channel.value
    if responded.kind is ResponseKind.REBOOKED:
        data.update(a=responded.appointment_id or "", rev=responded.revenue_cents)
        if incentive_code:
            data["code"] = incentive_code
        key = f"resp:REBOOKED:{responded.appointment_id}"
    else:
        key = f"resp:{responded.kind.value}:{responded.campaign_id}:{responded.patient_id}"
    return Fact(f.RESPONSE, key, responded.patient_id, iso(responded.at), data)


def facts_of(envelope: Envelope[Any]) -> tuple[str, Fact]:
    """The campaign a contract event is about, and its fact."""
    event = envelope.data
    if isinstance(event, MessageDue):
        return event.campaign_id, due_fact(event)
    if isinstance(event, MessageSent):
        return event.campaign_id, sent_fact(event)
    if isinstance(event, RecipientHeldOut):
        return event.campaign_id, held_fact(event)
    if isinstance(event, AudienceEvaluated):
        return event.campaign_id, evaluated_fact(event)
    if isinstance(event, RecipientResponded):
        return event.campaign_id, response_fact(event)
    raise TypeError(f"no fact for {type(event).__name__}")


def all_facts_of(envelope: Envelope[Any]) -> list[tuple[str, Fact]]:
    """`facts_of`, with a household message's due fact for each of its members."""
    event = envelope.data
    if isinstance(event, MessageDue) and event.household:
        return [(event.campaign_id, fact) for fact in household_due_facts(event)]
    return [facts_of(envelope)]
