"""structlog JSON logging with a trace id bound per request or per consumed event, and no
patient's contact details or words in any line (`redact_personal_data`)."""

import logging
import re
import sys
import uuid
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from typing import Any

import structlog

TRACE_HEADER = "trace-id"
# What a caller's (or an event's) trace id may be; anything else is replaced by a new one, so a
# caller cannot fill every log line and event with megabytes or forge log structure.
WELL_FORMED_TRACE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


# Anything shaped like an address: a word with an @ (also malformed ones, `a@b@c`, which is
# how a failing send reports them).
_EMAIL = re.compile(r"[^\s@<>\"'(),;:\[\]]*@[^\s<>\"'(),;:\[\]]+")
# A phone number: E.164 or written with its formatting (`+1 (312) 555-0100`, `312.555.0100`);
# not a date, an id or an offset, which have neither a + nor the 3-3-4 grouping.
_PHONE = re.compile(
    r"(?<![\w+-])(?:\+\d[\d\s().-]{5,}\d|\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4})(?![\w-])"
)
# Fields that carry a patient's or a message's own words (an SMS reply, a message's text);
# their value is never logged, only its length.
FREE_TEXT_KEYS = frozenset(
    {"body", "text", "html", "reply", "replies", "subject", "content", "message_body"}
    | {"sms_body", "inbound_body", "payload", "merge_data", "sample_data"}
)
REDACTED = "[redacted]"


def redact_text(text: str) -> str:
    """`text` with every email address and phone number replaced by a marker."""
    return _PHONE.sub("[phone]", _EMAIL.sub("[email]", text))


def _redacted(key: str, value: Any) -> Any:
    if key in FREE_TEXT_KEYS and value is not None:
        return f"{REDACTED} ({len(value)} characters)" if isinstance(value, str) else REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {k: _redacted(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_redacted(key, item) for item in value]
    if isinstance(value, BaseException):
        return redact_text(repr(value))
    return value


def redact_personal_data(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """A structlog processor: free-text fields dropped, addresses and numbers masked in every
    other value (the event name and the formatted exception included)."""
    return {key: _redacted(key, value) for key, value in event_dict.items()}


class _RedactingFilter(logging.Filter):
    """The same for the standard library's records (uvicorn, aiokafka, httpx)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact_text(record.getMessage()), None
        return True


def configure_logging(service: str, level: str = "INFO") -> None:
    logging.basicConfig(format="%(message)s", stream=sys.stdout, level=level)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, _RedactingFilter) for f in handler.filters):
            handler.addFilter(_RedactingFilter())
    # aiokafka, pymongo and httpx are chatty at INFO about routine group, pool and call events.
    for noisy in ("aiokafka", "kafka", "pymongo", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            # Last before the time is stamped: it sees the formatted exception too.
            redact_personal_data,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
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
