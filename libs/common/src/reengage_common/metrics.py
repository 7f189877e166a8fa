"""Prometheus metrics every part exposes on /metrics (module level, as prometheus-client intends)."""

from prometheus_client import Counter, Histogram

EVENTS_PUBLISHED = Counter(
    "reengage_events_published_total", "Events published to Kafka", ["service", "topic"]
)
EVENTS_HANDLED = Counter(
    "reengage_events_handled_total",
    "Events taken from Kafka, by outcome (handled, dead_lettered)",
    ["service", "topic", "outcome"],
)
HANDLER_RETRIES = Counter(
    "reengage_handler_retries_total",
    "Handler attempts that failed and were retried",
    ["service", "topic"],
)
HANDLER_SECONDS = Histogram(
    "reengage_handler_seconds", "Time spent handling one event", ["service", "topic"]
)
OUTBOX_RELAYED = Counter(
    "reengage_outbox_relayed_total", "Outbox events the relay published", ["service", "topic"]
)
HTTP_REQUESTS = Counter(
    "reengage_http_requests_total", "HTTP requests served", ["service", "method", "status"]
)
