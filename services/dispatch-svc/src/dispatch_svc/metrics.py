"""dispatch-svc's Prometheus metrics, served on /metrics beside the shared ones."""

from prometheus_client import Counter, Gauge

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
