"""structlog JSON logging with a trace id bound per request or per consumed event."""

import logging
import re
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import structlog

TRACE_HEADER = "trace-id"
# What a caller's (or an event's) trace id may be; anything else is replaced by a new one, so a
# caller cannot fill every log line and event with megabytes or forge log structure.
WELL_FORMED_TRACE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def configure_logging(service: str, level: str = "INFO") -> None:
    logging.basicConfig(format="%(message)s", stream=sys.stdout, level=level)
    # aiokafka, pymongo and httpx are chatty at INFO about routine group, pool and call events.
    for noisy in ("aiokafka", "kafka", "pymongo", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.bind_contextvars(service=service)


def new_trace_id() -> str:
    return uuid.uuid4().hex


def well_formed_trace_id(candidate: str | None) -> str | None:
    if candidate and WELL_FORMED_TRACE_ID.fullmatch(candidate):
        return candidate
    return None


def current_trace_id() -> str:
    """The trace id of the request or event being handled, or a fresh one."""
    bound = structlog.contextvars.get_contextvars().get("trace_id")
    return bound if isinstance(bound, str) and bound else new_trace_id()


@contextmanager
def traced(trace_id: str | None) -> Iterator[str]:
    """Bind `trace_id` to every log line (and every event produced) inside the block; a
    missing or malformed one is replaced by a new id."""
    trace_id = well_formed_trace_id(trace_id) or new_trace_id()
    with structlog.contextvars.bound_contextvars(trace_id=trace_id):
        yield trace_id
