"""dispatch-svc's Prometheus metrics, served on /metrics beside the shared ones."""

from collections.abc import Iterable

import structlog
from prometheus_client import Counter, Gauge

from dispatch_svc.sender.recorder import RecordedOutcome
from reengage_common.events import SendOutcome

log = structlog.get_logger(__name__)

MESSAGES = Counter(
    "dispatch_messages_total", "Message outcomes stored", ["channel", "outcome", "provider"]
)
RETRIED_SENDS = Counter(
    "dispatch_retried_sends_total",
    "Sends of a message whose earlier claimed attempt never finished (a crash): the provider "
    "may have it twice where the protocol has no idempotency key (SMTP, Twilio)",
    ["channel"],
)
PROVIDER_RETRIES = Counter(
    "dispatch_provider_retries_total", "Provider calls retried after a transient error", ["channel"]
)
QUEUED = Gauge("dispatch_queued_messages", "Messages the sender holds, not yet sent or skipped")


def count_stored(outcomes: Iterable[RecordedOutcome]) -> None:
    """Stored outcomes into the counters, and a FAILED one into the log."""
    for outcome in outcomes:
        message = outcome.message
        kind = outcome.outcome
        MESSAGES.labels(message.channel.value, kind.value, outcome.provider or "").inc()
        if outcome.retried and kind is SendOutcome.SENT:
            RETRIED_SENDS.labels(message.channel.value).inc()
        if kind is SendOutcome.FAILED:
            log.warning(
                "message.failed",
                message_id=message.message_id,
                campaign_id=message.campaign_id,
                reason=outcome.reason,
            )
