"""campaign-svc's internal routes for saved audiences: parse, call a handler, answer."""

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from campaign_svc.audiences.handlers import (
    SavedAudiences,
    read_saved_audience,
    read_saved_audiences,
)
from campaign_svc.domain.model import FieldError, InvalidCampaign
from campaign_svc.domain.saved_audiences import SavedAudience
from reengage_common.auth import Identity
from reengage_common.error_codes import CampaignErrorCode
from reengage_common.internal_api import Endpoint


def audience_json(audience: SavedAudience) -> dict[str, Any]:
    return audience.model_dump(mode="json", by_alias=True)


def _audiences(request: Request) -> SavedAudiences:
    return request.state.saved_audiences


async def _body(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError as exc:
        raise InvalidCampaign(
            [FieldError("audience", "the body is not valid JSON", CampaignErrorCode.INVALID)]
        ) from exc


async def list_audiences(request: Request, identity: Identity) -> Response:
    audiences = await read_saved_audiences(identity)
    return JSONResponse({"items": [audience_json(a) for a in audiences]})


async def create_audience(request: Request, identity: Identity) -> Response:
    audience = await _audiences(request).create(identity, await _body(request))
    return JSONResponse(audience_json(audience), status_code=201)


async def get_audience(request: Request, identity: Identity) -> Response:
    audience = await read_saved_audience(identity, request.path_params["id"])
    return JSONResponse(audience_json(audience))


async def replace_audience(request: Request, identity: Identity) -> Response:
    audience = await _audiences(request).replace(
        identity, request.path_params["id"], await _body(request)
    )
    return JSONResponse(audience_json(audience))


async def delete_audience(request: Request, identity: Identity) -> Response:
    await _audiences(request).delete(identity, request.path_params["id"])
    return JSONResponse({"id": request.path_params["id"], "deleted": True})


def audience_routes(answering: Any) -> list[Route]:
    """`answering` wraps each endpoint with the service's verification and error answers."""
    endpoints: list[tuple[str, Endpoint, str]] = [
        ("/audiences", list_audiences, "GET"),
        ("/audiences", create_audience, "POST"),
        ("/audiences/{id}", get_audience, "GET"),
        ("/audiences/{id}", replace_audience, "PUT"),
        ("/audiences/{id}", delete_audience, "DELETE"),
    ]
    return [
        Route(path, answering(endpoint), methods=[method]) for path, endpoint, method in endpoints
    ]
