"""The events an outcome implies, with deterministic envelope ids (a replay repeats them)."""

import uuid
from datetime import datetime, timedelta

from dispatch_svc.domain.campaigns import next_step
from dispatch_svc.domain.households import (
    lead_merge_data,
    member_outcomes,
    named,
    next_household,
)
from dispatch_svc.domain.messages import QueuedMessage
from reengage_common.events import (
    MESSAGE_ID_NAMESPACE,
    CampaignLaunched,
    Contact,
    Envelope,
    MessageDue,
    MessageSent,
    SendOutcome,
    message_id,
)

SOURCE = "dispatch-svc"


def _envelope_id(kind: str, *parts: object) -> str:
    return str(uuid.uuid5(MESSAGE_ID_NAMESPACE, "/".join([kind, *map(str, parts)])))


def sent_event(
    message: QueuedMessage,
    outcome: SendOutcome,
    *,
    at: datetime,
    attempt: int,
    reason: str | None = None,
    provider: str | None = None,
    provider_message_id: str | None = None,
    cost_cents: int = 0,
    retried: bool = False,
    member: tuple[str, str] | None = None,
    household: list[str] | None = None,
    undeliverable: bool = False,
) -> Envelope[MessageSent]:
    """The message's `message.sent`; for a household's `member` (messageId, patientId), theirs."""
    the_id, patient_id = member or (message.message_id, message.patient_id)
    data = MessageSent(
        message_id=the_id,
        campaign_id=message.campaign_id,
        patient_id=patient_id,
        sequence=message.sequence,
        channel=message.channel,
        variant=message.variant,
        outcome=outcome,
        reason=reason,
        provider=provider,
        provider_message_id=provider_message_id,
        cost_cents=cost_cents,
        retried=retried,
        at=at,
        household=household or [],
        fallback_for=message.fallback_for,
        undeliverable=undeliverable,
    )
    return Envelope[MessageSent](
        id=_envelope_id("message.sent", the_id, attempt),
        type=MessageSent.topic,
        source=SOURCE,
        time=at,
        clinic_id=message.clinic_id,
        trace_id=message.trace_id,
        data=data,
    )


def sent_events(
    message: QueuedMessage,
    outcome: SendOutcome,
    *,
    at: datetime,
    attempt: int,
    reason: str | None = None,
    provider: str | None = None,
    provider_message_id: str | None = None,
    cost_cents: int = 0,
    retried: bool = False,
    undeliverable: bool = False,
) -> list[Envelope[MessageSent]]:
    """One `message.sent` per patient the outcome is about: the message's own, or each
    household member's (`domain/households.py`): the named ones with this outcome, its cost on
    the first of them, the skipped ones SKIPPED with their reason."""
    if not message.household:
        return [
            sent_event(
                message,
                outcome,
                at=at,
                attempt=attempt,
                reason=reason,
                provider=provider,
                provider_message_id=provider_message_id,
                cost_cents=cost_cents,
                retried=retried,
                undeliverable=undeliverable,
            )
        ]
    household = [member["patientId"] for member in named(message)]
    events = []
    for the_id, patient_id, skipped in member_outcomes(message):
        member = (the_id, patient_id)
        if skipped:
            events.append(
                sent_event(
                    message,
                    SendOutcome.SKIPPED,
                    at=at,
                    attempt=attempt,
                    reason=skipped,
                    retried=retried,
                    member=member,
                )
            )
            continue
        events.append(
            sent_event(
                message,
                outcome,
                at=at,
                attempt=attempt,
                reason=reason,
                provider=provider,
                provider_message_id=provider_message_id,
                cost_cents=cost_cents,
                retried=retried,
                member=member,
                household=household,
                undeliverable=undeliverable,
            )
        )
        cost_cents = 0
    return events


def next_step_due(
    message: QueuedMessage, snapshot: CampaignLaunched, sent_at: datetime
) -> Envelope[MessageDue] | None:
    """Step n+1 of the same variant, due `delayDays` after step n went; None after the last.
    A household's names the members this step named, led by the first of them."""
    step = next_step(snapshot, message.variant, message.sequence)
    if step is None:
        return None
    run = message.run_number
    lead, members = next_household(message, step.sequence)
    next_id = message_id(message.campaign_id, lead, run, step.sequence)
    data = MessageDue(
        message_id=next_id,
        campaign_id=message.campaign_id,
        patient_id=lead,
        run_number=run,
        sequence=step.sequence,
        channel=step.channel,
        variant=step.variant,
        due_at=sent_at + timedelta(days=step.delay_days),
        contact=Contact.model_validate(message.contact),
        merge_data=lead_merge_data(message, lead),
        incentive_code=message.incentive_code,
        household=members,
    )
    return Envelope[MessageDue](
        id=_envelope_id("message.due", next_id),
        type=MessageDue.topic,
        source=SOURCE,
        time=sent_at,
        clinic_id=message.clinic_id,
        trace_id=message.trace_id,
        data=data,
    )
