"""One call to a service's internal JSON API, its failures turned into operation errors."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import httpx
import structlog

from gateway.clients import timeout_of
from gateway.operations.access import Caller
from gateway.operations.errors import (
    FieldProblem,
    Forbidden,
    Invalid,
    NotAllowed,
    NotAvailable,
    NotFound,
    OperationError,
    ServiceFailed,
    Unauthenticated,
)
from reengage_common.logging import current_trace_id, redact_text
from reengage_common.web import TRACE_HTTP_HEADER

log = structlog.get_logger(__name__)

JSONDocument = dict[str, Any]
# How much of a failing service's answer is logged: enough to see which error it was, not the
# request it may echo (a patient's reply, a message's text).
FAILURE_EXCERPT_CHARS = 300

_ERRORS_BY_STATUS: dict[int, type[OperationError]] = {
    401: Unauthenticated,
    403: Forbidden,
    404: NotFound,
    409: NotAllowed,
}


async def call_service(
    caller: Caller,
    service: str,
    method: str,
    path: str,
    *,
    json: object = None,
    params: dict[str, str | int] | None = None,
    content: AsyncIterator[bytes] | None = None,
    headers: dict[str, str] | None = None,
    deadline: float | None = None,
) -> JSONDocument:
    """Forward the caller's own token; the service verifies it again and scopes to its clinic.

    `deadline` (seconds) bounds the whole call; by default a GET has the read deadline and
    anything else the command deadline (`ServiceClients.deadlines`). `content` streams a body
    (a file) instead of `json`."""
    response = await _send(
        caller,
        service,
        method,
        path,
        deadline=deadline,
        headers=headers,
        json=json,
        params=params,
        content=content,
    )
    if response.is_success:
        return _json_object(service, response)
    raise _error_of(service, response)


async def _send(
    caller: Caller,
    service: str,
    method: str,
    path: str,
    *,
    deadline: float | None = None,
    headers: dict[str, str] | None = None,
    **request: Any,
) -> httpx.Response:
    """The service's raw answer, within the deadline; no answer in time, or no connection at
    all, is NotAvailable: a hung service is an outage to the caller, like a dead one."""
    client = caller.clients.all()[service]
    seconds = deadline or _default_deadline(caller, method)
    headers = {
        "authorization": caller.authorization,
        TRACE_HTTP_HEADER: current_trace_id(),
        **(headers or {}),
    }
    try:
        # httpx times each phase (connect, each read); the outer timeout bounds their sum, so
        # a service trickling bytes cannot stretch the call either.
        async with asyncio.timeout(seconds):
            return await client.request(
                method, path, headers=headers, timeout=timeout_of(seconds), **request
            )
    except (httpx.TimeoutException, TimeoutError) as exc:
        log.warning("service.timed_out", service=service, path=path, deadline=seconds)
        raise NotAvailable(service, f"{service} did not answer within {seconds:g} s") from exc
    except httpx.TransportError as exc:
        log.warning("service.unreachable", service=service, path=path, reason=str(exc))
        raise NotAvailable(service) from exc


def _default_deadline(caller: Caller, method: str) -> float:
    deadlines = caller.clients.deadlines
    return deadlines.read if method in ("GET", "HEAD") else deadlines.command


def segment(value: str) -> str:
    """`value` as one path segment: a caller's id like `../metrics` cannot leave its resource."""
    return quote(value, safe="").replace(".", "%2E")


def query_params(**given: str | int | None) -> dict[str, str | int]:
    """The query string of a call: only the arguments the caller gave; the service has defaults."""
    return {name: value for name, value in given.items() if value is not None}


def _json_object(service: str, response: httpx.Response) -> JSONDocument:
    try:
        document = response.json()
    except ValueError as exc:
        raise ServiceFailed(f"{service} answered with something other than JSON") from exc
    if not isinstance(document, dict):
        raise ServiceFailed(f"{service} answered with JSON that is not an object")
    return document


def _error_of(service: str, response: httpx.Response) -> OperationError:
    error = _error_body(response)
    if error is None and response.status_code == 404:
        # No route at all: the service (or this endpoint of it) does not exist yet.
        return NotAvailable(service)
    message = str((error or {}).get("message") or f"{service} answered {response.status_code}")
    if response.status_code == 422:
        return Invalid(message, _field_problems(error or {}))
    kind = _ERRORS_BY_STATUS.get(response.status_code)
    if kind is not None:
        return kind(message)
    log.error(
        "service.failed",
        service=service,
        status=response.status_code,
        excerpt=redact_text(response.text[:FAILURE_EXCERPT_CHARS]),
    )
    return ServiceFailed(f"{service} failed ({response.status_code})")


def _error_body(response: httpx.Response) -> dict[str, Any] | None:
    try:
        document = response.json()
    except ValueError:
        return None
    error = document.get("error") if isinstance(document, dict) else None
    return error if isinstance(error, dict) else None


def _field_problems(error: dict[str, Any]) -> list[FieldProblem]:
    fields = error.get("fields")
    if not isinstance(fields, list):
        return []
    return [
        FieldProblem.from_service(
            str(item.get("field", "")), str(item.get("message", "")), item.get("code")
        )
        for item in fields
        if isinstance(item, dict)
    ]
