"""Audience operations: estimates and patient imports, answered by audience-svc."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import structlog

from gateway.operations.access import MANAGE, READ, Caller, requires
from gateway.operations.errors import FieldProblem, Invalid, NotAvailable
from gateway.operations.service_calls import (
    JSONDocument,
    _error_of,  # the same mapping of a service's answer as every other call
    _json_object,
    call_service,
)
from reengage_common.error_codes import RequestErrorCode
from reengage_common.logging import current_trace_id
from reengage_common.web import TRACE_HTTP_HEADER

SERVICE = "audience-svc"
log = structlog.get_logger(__name__)
# An import streams a whole file through audience-svc; it may take minutes, not seconds.
IMPORT_TIMEOUT = httpx.Timeout(600.0, connect=2.0)


@requires(READ)
async def estimate_audience(
    caller: Caller, targeting: Any, channels: list[str] | None = None
) -> JSONDocument:
    """`{"total", "targeted", "heldOut", "patients", "excluded": {reason: n},
    "byChannel": {"EMAIL": n, ...}}` for a campaign's targeting (and channels, if given)."""
    if not isinstance(targeting, dict):
        raise Invalid(
            "expected a JSON object",
            [FieldProblem("targeting", "expected a JSON object", RequestErrorCode.INVALID_TYPE)],
        )
    body: dict[str, Any] = {"targeting": targeting}
    if channels:
        body["channels"] = channels
    return await call_service(caller, SERVICE, "POST", "/estimate", json=body)


@requires(READ)
async def estimate_for_campaign(caller: Caller, definition: Any) -> JSONDocument:
    """An estimate for a whole (draft) campaign definition: targeting, channels, steps, variants."""
    if not isinstance(definition, dict) or not isinstance(definition.get("targeting"), dict):
        raise Invalid(
            "expected a JSON object with a targeting",
            [FieldProblem("targeting", "expected a JSON object", RequestErrorCode.INVALID_TYPE)],
        )
    # The campaign's id makes audience-svc split holdout and variants exactly as its launch will.
    wanted = (
        "campaignId",
        "targeting",
        "channels",
        "messageTemplates",
        "variants",
        "holdoutPercent",
    )
    body = {key: definition[key] for key in wanted if definition.get(key) is not None}
    return await call_service(caller, SERVICE, "POST", "/estimate", json=body)


@requires(MANAGE)
async def import_patients(
    caller: Caller, content: AsyncIterator[bytes], content_type: str
) -> JSONDocument:
    """Stream a CSV or JSON-lines file to audience-svc chunk by chunk (never whole in memory)."""
    client = caller.clients.all()[SERVICE]
    headers = {
        "authorization": caller.authorization,
        "content-type": content_type or "text/csv",
        TRACE_HTTP_HEADER: current_trace_id(),
    }
    try:
        response = await client.post(
            "/import", content=content, headers=headers, timeout=IMPORT_TIMEOUT
        )
    except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
        log.warning("service.unreachable", service=SERVICE, path="/import", reason=str(exc))
        raise NotAvailable(SERVICE) from exc
    if response.is_success:
        return _json_object(SERVICE, response)
    raise _error_of(SERVICE, response)
