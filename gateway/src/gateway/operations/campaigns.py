"""Campaign operations: campaign-svc decides; these authorize, forward and answer its JSON."""

from collections.abc import Sequence
from typing import Any

from gateway.operations import audience
from gateway.operations.access import LAUNCH, MANAGE, READ, Caller, requires
from gateway.operations.errors import FieldProblem, Invalid, NotFound
from gateway.operations.service_calls import JSONDocument, call_service, query_params, segment
from reengage_common.error_codes import RequestErrorCode

SERVICE = "campaign-svc"


def campaign_path(campaign_id: str, action: str | None = None) -> str:
    """campaign-svc's path of one campaign (or of an action on it).

    Ids are printable single path segments, so an empty id, one with a `/` or a control
    character names no campaign: it is a NotFound before any call. Sent on, its path would be
    another resource (`/campaigns/` is answered with a redirect, `/campaigns/a/b` by no route
    at all) or a NUL the database refuses, which would read as an outage.
    """
    if not campaign_id or "/" in campaign_id or not campaign_id.isprintable():
        raise NotFound(f"no campaign {campaign_id!r} in your clinic")
    path = f"/campaigns/{segment(campaign_id)}"
    return f"{path}/{action}" if action else path


def _object_body(document: Any, field: str = "campaign") -> dict[str, Any]:
    if not isinstance(document, dict):
        raise Invalid(
            "expected a JSON object",
            [FieldProblem(field, "expected a JSON object", RequestErrorCode.INVALID_TYPE)],
        )
    return document


@requires(READ)
async def list_campaigns(
    caller: Caller, *, status: str | None = None, first: int | None = None, after: str | None = None
) -> JSONDocument:
    """A page: `{"items", "pageInfo": {"hasNextPage", "endCursor"}, "totalCount"}`."""
    params = query_params(status=status, first=first, after=after)
    return await call_service(caller, SERVICE, "GET", "/campaigns", params=params)


@requires(READ)
async def get_campaign(caller: Caller, campaign_id: str) -> JSONDocument:
    return await call_service(caller, SERVICE, "GET", campaign_path(campaign_id))


@requires(READ)
async def campaigns_by_ids(
    caller: Caller, campaign_ids: Sequence[str]
) -> list[JSONDocument | None]:
    """One call for many ids, in their order; None where absent or another clinic's."""
    if not campaign_ids:
        return []
    page = await call_service(
        caller, SERVICE, "GET", "/campaigns", params={"ids": ",".join(campaign_ids)}
    )
    by_id = {item["id"]: item for item in page.get("items", [])}
    return [by_id.get(campaign_id) for campaign_id in campaign_ids]


@requires(MANAGE)
async def create_campaign(caller: Caller, campaign: Any) -> JSONDocument:
    return await call_service(caller, SERVICE, "POST", "/campaigns", json=_object_body(campaign))


@requires(MANAGE)
async def update_campaign(caller: Caller, campaign_id: str, campaign: Any) -> JSONDocument:
    """A full replacement of the editable fields."""
    body = _object_body(campaign)
    return await call_service(caller, SERVICE, "PUT", campaign_path(campaign_id), json=body)


@requires(MANAGE)
async def delete_campaign(caller: Caller, campaign_id: str) -> JSONDocument:
    return await call_service(caller, SERVICE, "DELETE", campaign_path(campaign_id))


async def _transition(
    caller: Caller, campaign_id: str, action: str, *, deadline: float | None = None
) -> JSONDocument:
    path = campaign_path(campaign_id, action)
    return await call_service(caller, SERVICE, "POST", path, deadline=deadline)


@requires(LAUNCH)
async def launch_campaign(caller: Caller, campaign_id: str) -> JSONDocument:
    # A launch checks the clinic's live campaigns and may wait for another launch's guard.
    deadline = caller.clients.deadlines.launch
    return await _transition(caller, campaign_id, "launch", deadline=deadline)


@requires(MANAGE)
async def pause_campaign(caller: Caller, campaign_id: str) -> JSONDocument:
    return await _transition(caller, campaign_id, "pause")


@requires(MANAGE)
async def resume_campaign(caller: Caller, campaign_id: str) -> JSONDocument:
    return await _transition(caller, campaign_id, "resume")


@requires(MANAGE)
async def cancel_campaign(caller: Caller, campaign_id: str) -> JSONDocument:
    return await _transition(caller, campaign_id, "cancel")


@requires(MANAGE)
async def duplicate_campaign(caller: Caller, campaign_id: str) -> JSONDocument:
    return await _transition(caller, campaign_id, "duplicate")


@requires(MANAGE)
async def preview_campaign(
    caller: Caller,
    campaign_id: str,
    *,
    patient_id: Any = None,
    sample_data: Any = None,
    language: Any = None,
) -> JSONDocument:
    """Renders with a real patient's data or the given sample: needs the manage permission.

    audience-svc owns the patients: their merge data and language are read there first and
    handed to campaign-svc's preview (`patientMergeData`, `patientLanguage`), which renders the
    campaign's steps with them, in `language` when given (campaign-svc checks it).
    """
    path = campaign_path(campaign_id, "preview")
    if sample_data is not None:
        _object_body(sample_data, field="sampleData")
    body: dict[str, Any] = {"sampleData": sample_data}
    if language is not None:
        body["language"] = language
    if patient_id is not None:
        patient = await audience.patient_merge_data(caller, patient_id)
        body["patientMergeData"] = patient.get("patient") or {}
        body["patientLanguage"] = patient.get("language")
    return await call_service(caller, SERVICE, "POST", path, json=body)
