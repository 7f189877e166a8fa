"""Saved audiences: campaign-svc keeps and validates them; these authorize and forward.

A saved audience's live count is an audience estimate of its targeting (audience-svc)."""

from typing import Any

from gateway.operations import audience
from gateway.operations.access import MANAGE, READ, Caller, requires
from gateway.operations.errors import FieldProblem, Invalid, NotFound
from gateway.operations.service_calls import JSONDocument, call_service, segment
from reengage_common.error_codes import RequestErrorCode

SERVICE = "campaign-svc"


def audience_path(audience_id: str) -> str:
    """Ids are printable single path segments; any other names no audience (see campaign_path)."""
    if not audience_id or "/" in audience_id or not audience_id.isprintable():
        raise NotFound(f"no saved audience {audience_id!r} in your clinic")
    return f"/audiences/{segment(audience_id)}"


def _object_body(document: Any) -> dict[str, Any]:
    if not isinstance(document, dict):
        raise Invalid(
            "expected a JSON object",
            [FieldProblem("audience", "expected a JSON object", RequestErrorCode.INVALID_TYPE)],
        )
    return document


@requires(READ)
async def list_saved_audiences(caller: Caller) -> list[JSONDocument]:
    answer = await call_service(caller, SERVICE, "GET", "/audiences")
    return list(answer.get("items") or [])


@requires(READ)
async def get_saved_audience(caller: Caller, audience_id: str) -> JSONDocument:
    return await call_service(caller, SERVICE, "GET", audience_path(audience_id))


@requires(MANAGE)
async def create_saved_audience(caller: Caller, body: Any) -> JSONDocument:
    return await call_service(caller, SERVICE, "POST", "/audiences", json=_object_body(body))


@requires(MANAGE)
async def replace_saved_audience(caller: Caller, audience_id: str, body: Any) -> JSONDocument:
    path = audience_path(audience_id)
    return await call_service(caller, SERVICE, "PUT", path, json=_object_body(body))


@requires(MANAGE)
async def delete_saved_audience(caller: Caller, audience_id: str) -> JSONDocument:
    return await call_service(caller, SERVICE, "DELETE", audience_path(audience_id))


@requires(READ)
async def saved_audience_estimate(
    caller: Caller, saved: JSONDocument, channels: list[str] | None = None
) -> JSONDocument:
    """Who the saved audience reaches now: the live count beside its name."""
    return await audience.estimate_audience(caller, saved["targeting"], channels)
