"""Where each message of a campaign stands, folded from its append-only records.

    QUEUED   a message, nothing else
    SENDING  a claim ("<messageId>:<attempt>"), no outcome yet
    SENT | FAILED | SKIPPED   its stored outcome (with the reason)

No record is ever updated, so the fold is the only place a state exists.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from dispatch_svc.domain.messages import QueuedMessage


class Claimed(NamedTuple):
    """Attempt `attempt` of a message was claimed (by whichever sender), until `expires_at`."""

    message_id: str
    attempt: int
    expires_at: datetime


class Finished(NamedTuple):
    """A stored outcome of a message."""

    message_id: str
    outcome: str  # SENT, FAILED or SKIPPED
    attempt: int
    reason: str | None = None
    provider_message_id: str | None = None


class MessageState(NamedTuple):
    message: QueuedMessage
    state: str
    reason: str | None
    attempts: int


def fold_message_states(
    messages: Iterable[QueuedMessage], outcomes: Iterable[Finished], claims: Iterable[Claimed]
) -> list[MessageState]:
    finished = {outcome.message_id: outcome for outcome in outcomes}
    attempts: dict[str, int] = {}
    for claim in claims:
        attempts[claim.message_id] = max(attempts.get(claim.message_id, 0), claim.attempt)
    states = []
    for message in messages:
        outcome = finished.get(message.message_id)
        if outcome is not None:
            state = outcome.outcome
        else:
            state = "SENDING" if message.message_id in attempts else "QUEUED"
        reason = outcome.reason if outcome else None
        states.append(MessageState(message, state, reason, attempts.get(message.message_id, 0)))
    return states
