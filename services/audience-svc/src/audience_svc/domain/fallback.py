"""Channel fallback (issue 22 #8), decided without I/O: which failures fall back, by which
channel, and the fallback's `message.due`.

Who emits it, and why here. A step fails in two places: dispatch-svc learns at send time
(SMTP 5xx, an invalid number: `message.sent` FAILED, `undeliverable`) or when a later message
by a bounced channel is skipped (SKIPPED, `undeliverable`); tracking-svc learns later from the
provider's callback (`recipient.responded` BOUNCED, now naming its message and step). Both
already reach audience-svc, and audience-svc is the part that owns what the fallback depends
on: the patient's current contacts, consents (SMS only with an explicit yes, which dispatch
never sees: it keeps only restrictions) and opt-outs and bounces, the guardian of a minor, and
the merge data step 1 was made with. So it emits the fallback `message.due` as it emits step
1's, from the same functions (`messages.contact_of`, `messages.merge_data`); dispatch then
sends it under every rule a step meets (send times, quiet hours, STOP, consent withdrawn,
campaign paused or ended) and carries the sequence on from it.

One per step, never a loop: the fallback's messageId is derived from campaign, patient, run
and step (`fallback_message_id`), whatever the channel and however often the failure is
reported, so repeats are the same event (envelope id from the messageId) and every consumer
drops them; a failure of a fallback (`fallbackFor` set) never falls back. A household message
falls back for each member on their own (their own contact and consent).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from audience_svc.domain.facts import CHANNEL_BITS, State, adult_from, reachable_mask
from audience_svc.domain.messages import SOURCE, contact_of, envelope_id, merge_data
from reengage_common.events import (
    CampaignLaunched,
    Channel,
    Envelope,
    MessageDue,
    MessageSent,
    RecipientResponded,
    ResponseKind,
    SendOutcome,
    fallback_message_id,
)


@dataclass(frozen=True)
class Failure:
    """A step's message that could not reach its patient by its channel."""

    clinic_id: str
    campaign_id: str
    patient_id: str
    message_id: str
    sequence: int
    variant: str
    channel: Channel
    at: datetime
    trace_id: str | None


def failure_of(envelope: Envelope[Any]) -> Failure | None:
    """The failure an event reports, or None: a send refused for good or skipped as
    undeliverable, or a bounce naming its message; never one of a fallback."""
    data = envelope.data
    if isinstance(data, MessageSent):
        if not data.undeliverable or data.outcome is SendOutcome.SENT or data.fallback_for:
            return None
        return Failure(
            envelope.clinic_id, data.campaign_id, data.patient_id, data.message_id,
            data.sequence, data.variant, data.channel, data.at, envelope.trace_id,
        )  # fmt: skip
    if isinstance(data, RecipientResponded):
        if data.kind is not ResponseKind.BOUNCED or data.fallback_for:
            return None
        if data.message_id is None or data.sequence is None or data.channel is None:
            return None  # a bounce from before the fields: its step is unknown
        return Failure(
            envelope.clinic_id, data.campaign_id, data.patient_id, data.message_id,
            data.sequence, data.variant or "A", data.channel, data.at, envelope.trace_id,
        )  # fmt: skip
    return None


def fallback_channel(launched: CampaignLaunched, failed: Channel, reach: int) -> Channel | None:
    """The first channel the campaign falls back to from `failed` that reaches the patient."""
    for rule in launched.channel_fallback:
        if rule.channel is failed and rule.to is not failed and reach & CHANNEL_BITS[rule.to]:
            return rule.to
    return None


def is_minor(state: State, at: datetime) -> bool:
    adult = adult_from((state["p"] or {}).get("birthDate"))
    return adult is not None and at.timestamp() < adult


def fallback_due(
    launched: CampaignLaunched, failure: Failure, state: State | None
) -> Envelope[MessageDue] | None:
    """The fallback's `message.due` (due at once: dispatch waits for the next send time the
    patient's hours allow), or None when the campaign has no rule for the channel, the
    patient is unknown, or no fallback channel reaches them."""
    if state is None or state["p"] is None or not launched.channel_fallback:
        return None
    minor = is_minor(state, failure.at)
    to = fallback_channel(launched, failure.channel, reachable_mask(state, minor=minor))
    if to is None:
        return None
    run = launched.run_number
    the_id = fallback_message_id(failure.campaign_id, failure.patient_id, run, failure.sequence)
    clinic_timezone = launched.clinic.timezone if launched.clinic else launched.schedule.timezone
    incentive = launched.incentive
    due = MessageDue(
        message_id=the_id,
        campaign_id=failure.campaign_id,
        patient_id=failure.patient_id,
        run_number=run,
        sequence=failure.sequence,
        channel=to,
        variant=failure.variant,
        due_at=failure.at,
        contact=contact_of(state["p"], minor=minor, clinic_timezone=clinic_timezone),
        merge_data=merge_data(state, launched),
        incentive_code=incentive.incentive_code if incentive.has_incentive else None,
        fallback_for=failure.message_id,
    )
    return Envelope[MessageDue](
        id=envelope_id("fallback", the_id),
        type=MessageDue.topic,
        source=SOURCE,
        time=failure.at,
        clinic_id=failure.clinic_id,
        trace_id=failure.trace_id,
        data=due,
    )
