"""Audience estimates from audience-svc (NotAvailable until it exists)."""

from typing import Any

from gateway.operations.access import READ, Caller, requires
from gateway.operations.errors import FieldProblem, Invalid
from gateway.operations.service_calls import JSONDocument, call_service

SERVICE = "audience-svc"


@requires(READ)
async def estimate_audience(caller: Caller, targeting: Any) -> JSONDocument:
    """`{"total": int, "byChannel": {"EMAIL": int, ...}}` for a campaign's targeting."""
    if not isinstance(targeting, dict):
        raise Invalid(
            "expected a JSON object", [FieldProblem("targeting", "expected a JSON object")]
        )
    return await call_service(caller, SERVICE, "POST", "/estimates", json={"targeting": targeting})
