"""Audience operations: estimates, patient imports and a patient's merge data (for a
preview), answered by audience-svc."""

from collections.abc import AsyncIterator
from typing import Any

from gateway.operations.access import MANAGE, READ, Caller, requires
from gateway.operations.errors import FieldProblem, Invalid, NotFound
from gateway.operations.service_calls import (
    JSONDocument,
    call_service,
    segment,
)
from reengage_common.error_codes import RequestErrorCode

SERVICE = "audience-svc"


@requires(READ)
async def estimate_audience(
    caller: Caller,
    targeting: Any,
    channels: list[str] | None = None,
    merge_fields: list[str] | None = None,
    *,
    count_messages: bool = False,
    group_households: bool = True,
) -> JSONDocument:
    """`{"total", "targeted", "heldOut", "patients", "excluded": {reason: n},
    "byChannel": {"EMAIL": n, ...}, "missingFields": [{"field", "count"}]}` for a campaign's
    targeting (and channels, and the merge fields whose gaps to count, if given); with
    `count_messages`, `"messages"` and `"messagesByChannel"` too, households grouped unless
    `group_households` is false."""
    if not isinstance(targeting, dict):
        raise Invalid(
            "expected a JSON object",
            [FieldProblem("targeting", "expected a JSON object", RequestErrorCode.INVALID_TYPE)],
        )
    body: dict[str, Any] = {"targeting": targeting}
    if channels:
        body["channels"] = channels
    if merge_fields is not None:
        body["mergeFields"] = merge_fields
    if count_messages:
        body["countMessages"] = True
        body["groupHouseholds"] = group_households
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
        "mergeFields",
        "countMessages",
        "groupHouseholds",
    )
    body = {key: definition[key] for key in wanted if definition.get(key) is not None}
    return await call_service(caller, SERVICE, "POST", "/estimate", json=body)


@requires(MANAGE)
async def patient_merge_data(caller: Caller, patient_id: Any) -> JSONDocument:
    """The patient's merge data as their messages carry it (`{"patient": {"firstName", ...},
    "language": "es-MX"}`, their preferred language or null), or NotFound.

    Ids are printable single path segments: one with a `/` names no patient (sent on, it would
    reach no route and read as an outage); a non-text, empty or unprintable one is refused.
    """
    if not isinstance(patient_id, str):
        raise _bad_patient_id("a patient id is a text", RequestErrorCode.INVALID_TYPE)
    if not patient_id or not patient_id.isprintable():
        raise _bad_patient_id(
            "a patient id is a non-empty text of printable characters", RequestErrorCode.INVALID
        )
    if "/" in patient_id:
        raise NotFound(f"patient {patient_id} not found")
    path = f"/patients/{segment(patient_id)}/merge-data"
    return await call_service(caller, SERVICE, "GET", path)


def _bad_patient_id(message: str, code: RequestErrorCode) -> Invalid:
    return Invalid(message, [FieldProblem("patientId", message, code)])


@requires(MANAGE)
async def import_patients(
    caller: Caller, content: AsyncIterator[bytes], content_type: str
) -> JSONDocument:
    """Stream a CSV or JSON-lines file to audience-svc chunk by chunk (never whole in memory)."""
    return await call_service(
        caller,
        SERVICE,
        "POST",
        "/import",
        content=content,
        headers={"content-type": content_type or "text/csv"},
        deadline=caller.clients.deadlines.file_import,
    )
