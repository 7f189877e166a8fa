"""What becomes of a claimed message, decided without I/O: skipped (with why), failed (with
the provider's words), or sent (with the next step of its sequence).

The sender makes the provider call and stores the outcome; these functions say what the
outcome is and which events it implies (`message.sent`, the next step's `message.due`), with
the deterministic ids that make a repeated outcome publish the same events.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dispatch_svc.channels.base import PermanentProviderError, ProviderError, Receipt
from dispatch_svc.domain.decisions import ResponsesAndConsents, Undeliverable
from dispatch_svc.domain.events import next_step_due, sent_events
from dispatch_svc.domain.households import checked
from dispatch_svc.domain.households import skip_reason as household_skip_reason
from dispatch_svc.domain.messages import QueuedMessage
from reengage_common.events import CampaignLaunched, Channel, Envelope, SendOutcome


@dataclass(frozen=True, slots=True)
class Outcome:
    """One message's outcome, its attempt, and the events it implies."""

    message: QueuedMessage
    outcome: SendOutcome
    attempt: int
    retried: bool  # an attempt after another sender's claim expired: maybe a repeat
    events: tuple[Envelope[Any], ...]
    reason: str | None = None
    provider: str | None = None
    provider_message_id: str | None = None


def skip_reasons(
    messages: Iterable[QueuedMessage],
    checks: ResponsesAndConsents,
    falls_back: frozenset[Channel] = frozenset(),
) -> dict[str, str]:
    """The messages that must not go now (a response, an opt-out, a consent withdrawn), by id,
    with the reason each is skipped; a household message (checked by `with_members_checked`)
    when no member is left. `falls_back`: the campaign's channelFallback channels, which a
    bounce closes rather than ending the sequence (`ResponsesAndConsents.skip_reason`)."""
    reasons: dict[str, str] = {}
    for message in messages:
        if message.household:
            reason = household_skip_reason(message)
        else:
            reason = checks.skip_reason(
                message.campaign_id, message.patient_id, message.channel, falls_back
            )
        if reason is not None:
            reasons[message.message_id] = reason
    return reasons


def with_members_checked(
    messages: Iterable[QueuedMessage], checks: ResponsesAndConsents
) -> dict[str, QueuedMessage]:
    """Household messages by id, each member who must not get it marked skipped (the message
    still goes to the others: `domain/households.py`)."""
    return {m.message_id: checked(m, checks) for m in messages if m.household}


def not_sent(
    message: QueuedMessage,
    outcome: SendOutcome,
    reason: str,
    *,
    attempt: int,
    retried: bool,
    at: datetime,
    provider: str | None = None,
    undeliverable: bool = False,
) -> Outcome:
    """SKIPPED (the campaign or the patient said no) or FAILED (no template, no provider).
    An `Undeliverable` reason (or `undeliverable`) says the channel cannot reach the patient,
    so a channel fallback may follow (issue 22 #8)."""
    events = sent_events(
        message,
        outcome,
        at=at,
        attempt=attempt,
        reason=reason,
        provider=provider,
        retried=retried,
        undeliverable=undeliverable or isinstance(reason, Undeliverable),
    )
    return Outcome(message, outcome, attempt, retried, tuple(events), reason, provider)


def provider_failed(
    message: QueuedMessage,
    error: ProviderError,
    *,
    provider: str,
    attempts: int,
    attempt: int,
    retried: bool,
    at: datetime,
) -> Outcome:
    """FAILED with the provider's reason: at once for a refusal (undeliverable: the address or
    number is refused for good, so a channel fallback may follow), after `attempts` tries for
    a transient error."""
    reason = error.reason
    refused = isinstance(error, PermanentProviderError)
    if not refused:
        reason = f"gave up after {attempts} attempts: {error.reason}"
    return not_sent(
        message,
        SendOutcome.FAILED,
        reason,
        attempt=attempt,
        retried=retried,
        at=at,
        provider=provider,
        undeliverable=refused,
    )


def sent(
    message: QueuedMessage,
    receipt: Receipt,
    snapshot: CampaignLaunched,
    *,
    attempt: int,
    retried: bool,
    at: datetime,
) -> Outcome:
    """SENT, and the next step of the same variant due `delayDays` from now (none after the
    last step)."""
    events: list[Envelope[Any]] = [
        *sent_events(
            message,
            SendOutcome.SENT,
            at=at,
            attempt=attempt,
            provider=receipt.provider,
            provider_message_id=receipt.provider_message_id,
            cost_cents=receipt.cost_cents,
            retried=retried,
        )
    ]
    following = next_step_due(message, snapshot, at)
    if following is not None:
        events.append(following)
    return Outcome(
        message,
        SendOutcome.SENT,
        attempt,
        retried,
        tuple(events),
        provider=receipt.provider,
        provider_message_id=receipt.provider_message_id,
    )
