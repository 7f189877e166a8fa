"""campaign-svc's internal JSON API for the gateway: parse, call a handler, answer.

The gateway forwards the caller's token; it is verified again here and scopes everything.
"""

from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from campaign_svc.audiences.api import audience_routes
from campaign_svc.audiences.handlers import AudienceChangedConcurrently, SavedAudienceNotFound
from campaign_svc.clinic.handlers import ProfileNotFound, read_profile, replace_profile
from campaign_svc.clinic.store import ProfileChangedConcurrently
from campaign_svc.domain.lifecycle import Action, TransitionNotAllowed
from campaign_svc.domain.model import Campaign, FieldError, InvalidCampaign
from campaign_svc.handlers import (
    CampaignCommands,
    CampaignNotFound,
    ChangedConcurrently,
    read_campaign,
    read_campaign_page,
    read_campaigns_with_ids,
)
from campaign_svc.launch_guard import LaunchUnderWay
from campaign_svc.preview import preview_campaign
from campaign_svc.store import BadCursor, encode_cursor
from reengage_common.auth import Identity
from reengage_common.clinic import InvalidProfile, ProfileError
from reengage_common.error_codes import CampaignErrorCode
from reengage_common.events import CampaignStatus, ClinicProfile
from reengage_common.internal_api import Answer, Endpoint, ErrorAnswers, internal, invalid
from reengage_common.web import error_response

MAX_PAGE = 100


def campaign_json(campaign: Campaign) -> dict[str, Any]:
    return campaign.model_dump(mode="json", by_alias=True)


def _commands(request: Request) -> CampaignCommands:
    return request.state.commands


# The failures a campaign-svc endpoint expects, and their answers.
ERRORS: ErrorAnswers = {
    (CampaignNotFound, ProfileNotFound, SavedAudienceNotFound): lambda exc: error_response(
        404, "NOT_FOUND", str(exc)
    ),
    TransitionNotAllowed: lambda exc: error_response(409, "NOT_ALLOWED", str(exc)),
    (
        ChangedConcurrently,
        ProfileChangedConcurrently,
        LaunchUnderWay,
        AudienceChangedConcurrently,
    ): lambda exc: error_response(409, "CONFLICT", str(exc)),
    (InvalidCampaign, InvalidProfile): lambda exc: _invalid(exc.errors),
    BadCursor: lambda exc: _invalid([FieldError("after", str(exc), CampaignErrorCode.INVALID)]),
}


def answering_errors(endpoint: Endpoint) -> Answer:
    """Verify the caller, run the endpoint, and turn expected failures into clear answers."""
    return internal(endpoint, errors=ERRORS)


def _invalid(errors: Sequence[FieldError | ProfileError]) -> JSONResponse:
    return invalid(
        [
            {"field": error.field, "message": error.message, "code": error.code.value}
            for error in errors
        ]
    )


async def _json_body(request: Request, resource: str = "campaign") -> Any:
    try:
        return await request.json()
    except ValueError as exc:
        raise InvalidCampaign(
            [FieldError(resource, "the body is not valid JSON", CampaignErrorCode.INVALID)]
        ) from exc


async def list_campaigns(request: Request, identity: Identity) -> Response:
    params = request.query_params
    if "ids" in params:
        ids = [i for i in params["ids"].split(",") if i][:MAX_PAGE]
        records = await read_campaigns_with_ids(identity, ids)
        return JSONResponse({"items": [campaign_json(r.to_campaign()) for r in records]})
    status = _status_param(params.get("status"))
    first = _first_param(params.get("first"))
    records, has_next, total = await read_campaign_page(
        identity, status=status, first=first, after=params.get("after")
    )
    return JSONResponse(
        {
            "items": [
                {**campaign_json(r.to_campaign()), "cursor": encode_cursor(r)} for r in records
            ],
            "pageInfo": {
                "hasNextPage": has_next,
                "endCursor": encode_cursor(records[-1]) if records else None,
            },
            "totalCount": total,
        }
    )


def _status_param(raw: str | None) -> CampaignStatus | None:
    if raw is None or raw == "":
        return None
    try:
        return CampaignStatus(raw)
    except ValueError as exc:
        allowed = ", ".join(s.value for s in CampaignStatus)
        raise InvalidCampaign(
            [FieldError("status", f"must be one of {allowed}", CampaignErrorCode.INVALID)]
        ) from exc


def _first_param(raw: str | None) -> int:
    if raw is None:
        return 20
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise InvalidCampaign(
            [
                FieldError(
                    "first",
                    f"must be a whole number from 1 to {MAX_PAGE}",
                    CampaignErrorCode.OUT_OF_RANGE,
                )
            ]
        )
    return int(raw)


async def create_campaign(request: Request, identity: Identity) -> Response:
    campaign = await _commands(request).create(identity, await _json_body(request))
    return JSONResponse(campaign_json(campaign), status_code=201)


async def get_campaign(request: Request, identity: Identity) -> Response:
    return JSONResponse(campaign_json(await read_campaign(identity, request.path_params["id"])))


async def update_campaign(request: Request, identity: Identity) -> Response:
    campaign = await _commands(request).update(
        identity, request.path_params["id"], await _json_body(request)
    )
    return JSONResponse(campaign_json(campaign))


async def delete_campaign(request: Request, identity: Identity) -> Response:
    await _commands(request).delete(identity, request.path_params["id"])
    return JSONResponse({"id": request.path_params["id"], "deleted": True})


async def duplicate_campaign(request: Request, identity: Identity) -> Response:
    campaign = await _commands(request).duplicate(identity, request.path_params["id"])
    return JSONResponse(campaign_json(campaign), status_code=201)


def status_change(action: Action) -> Endpoint:
    async def change(request: Request, identity: Identity) -> Response:
        campaign = await _commands(request).change_status(
            identity, request.path_params["id"], action
        )
        return JSONResponse(campaign_json(campaign))

    return change


async def preview(request: Request, identity: Identity) -> Response:
    body = await _json_body(request) if await request.body() else {}
    commands = _commands(request)
    answer = await preview_campaign(identity, request.path_params["id"], body, commands.clock())
    return JSONResponse(answer)


def profile_json(profile: ClinicProfile) -> dict[str, Any]:
    return profile.model_dump(mode="json", by_alias=True)


async def get_clinic(request: Request, identity: Identity) -> Response:
    return JSONResponse(profile_json(await read_profile(identity)))


async def put_clinic(request: Request, identity: Identity) -> Response:
    body = await _json_body(request, "clinic")
    profile = await replace_profile(identity, body, _commands(request).clock)
    return JSONResponse(profile_json(profile))


routes = [
    Route("/clinic", answering_errors(get_clinic), methods=["GET"]),
    Route("/clinic", answering_errors(put_clinic), methods=["PUT"]),
    Route("/campaigns", answering_errors(list_campaigns), methods=["GET"]),
    Route("/campaigns", answering_errors(create_campaign), methods=["POST"]),
    Route("/campaigns/{id}", answering_errors(get_campaign), methods=["GET"]),
    Route("/campaigns/{id}", answering_errors(update_campaign), methods=["PUT"]),
    Route("/campaigns/{id}", answering_errors(delete_campaign), methods=["DELETE"]),
    Route("/campaigns/{id}/duplicate", answering_errors(duplicate_campaign), methods=["POST"]),
    Route("/campaigns/{id}/preview", answering_errors(preview), methods=["POST"]),
    *(
        Route(
            f"/campaigns/{{id}}/{action.value}",
            answering_errors(status_change(action)),
            methods=["POST"],
        )
        for action in (Action.LAUNCH, Action.PAUSE, Action.RESUME, Action.CANCEL)
    ),
    *audience_routes(answering_errors),
]
