"""The events an outcome implies, with deterministic envelope ids (a replay repeats them)."""

import uuid
from datetime import datetime, timedelta

from dispatch_svc.domain.campaigns import next_step
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
) -> Envelope[MessageSent]:
    data = MessageSent(
        message_id=message.message_id,
        campaign_id=message.campaign_id,
        patient_id=message.patient_id,
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
    )
    return Envelope[MessageSent](
        id=_envelope_id("message.sent", message.message_id, attempt),
        type=MessageSent.topic,
        source=SOURCE,
        time=at,
        clinic_id=message.clinic_id,
        trace_id=message.trace_id,
        data=data,
    )


def next_step_due(
    message: QueuedMessage, snapshot: CampaignLaunched, sent_at: datetime
) -> Envelope[MessageDue] | None:
    """Step n+1 of the same variant, due `delayDays` after step n went; None after the last."""
    step = next_step(snapshot, message.variant, message.sequence)
    if step is None:
        return None
    run = message.run_number
    next_id = message_id(message.campaign_id, message.patient_id, run, step.sequence)
    data = MessageDue(
        message_id=next_id,
        campaign_id=message.campaign_id,
        patient_id=message.patient_id,
        run_number=run,
        sequence=step.sequence,
        channel=step.channel,
        variant=step.variant,
        due_at=sent_at + timedelta(days=step.delay_days),
        contact=Contact.model_validate(message.contact),
        merge_data=message.merge_data,
        incentive_code=message.incentive_code,
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
