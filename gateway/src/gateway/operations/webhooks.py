"""Outbound webhook endpoints: dispatch-svc keeps them and delivers; these authorize and forward."""

from typing import Any

from gateway.operations.access import MANAGE, READ, Caller, requires
from gateway.operations.errors import FieldProblem, Invalid, NotFound
from gateway.operations.service_calls import JSONDocument, call_service, segment
from reengage_common.error_codes import RequestErrorCode

SERVICE = "dispatch-svc"
BASE = "/outbound-webhooks"


def endpoint_path(endpoint_id: str, action: str | None = None) -> str:
    """Ids are printable single path segments; any other names no endpoint."""
    if not endpoint_id or "/" in endpoint_id or not endpoint_id.isprintable():
        raise NotFound(f"no webhook endpoint {endpoint_id!r} in your clinic")
    path = f"{BASE}/{segment(endpoint_id)}"
    return f"{path}/{action}" if action else path


def _object_body(document: Any) -> dict[str, Any]:
    if not isinstance(document, dict):
        raise Invalid(
            "expected a JSON object",
            [FieldProblem("endpoint", "expected a JSON object", RequestErrorCode.INVALID_TYPE)],
        )
    return document


@requires(READ)
async def list_endpoints(caller: Caller) -> list[JSONDocument]:
    return list((await call_service(caller, SERVICE, "GET", BASE)).get("items") or [])


@requires(READ)
async def get_endpoint(caller: Caller, endpoint_id: str) -> JSONDocument:
    """With its last attempts (newest first) and the deliveries still waiting."""
    return await call_service(caller, SERVICE, "GET", endpoint_path(endpoint_id))


@requires(MANAGE)
async def create_endpoint(caller: Caller, body: Any) -> JSONDocument:
    """The endpoint and its signing `secret`, shown this once."""
    return await call_service(caller, SERVICE, "POST", BASE, json=_object_body(body))


@requires(MANAGE)
async def replace_endpoint(caller: Caller, endpoint_id: str, body: Any) -> JSONDocument:
    path = endpoint_path(endpoint_id)
    return await call_service(caller, SERVICE, "PUT", path, json=_object_body(body))


@requires(MANAGE)
async def delete_endpoint(caller: Caller, endpoint_id: str) -> JSONDocument:
    return await call_service(caller, SERVICE, "DELETE", endpoint_path(endpoint_id))


@requires(MANAGE)
async def send_test(caller: Caller, endpoint_id: str) -> JSONDocument:
    return await call_service(caller, SERVICE, "POST", endpoint_path(endpoint_id, "test"))
