"""dispatch-svc's internal routes for outbound webhook endpoints: parse, call, answer.

GET|POST /outbound-webhooks, GET|PUT|DELETE /outbound-webhooks/{id},
POST /outbound-webhooks/{id}/test. A created endpoint's answer is the only one with its whole
`secret`; the others show a `secretHint`.
"""

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dispatch_svc.domain.webhooks import InvalidEndpoint
from dispatch_svc.webhooks.handlers import (
    EndpointChangedConcurrently,
    EndpointNotFound,
    WebhookEndpoints,
    read_endpoint,
    read_endpoints,
)
from reengage_common.auth import Identity
from reengage_common.internal_api import ErrorAnswers, internal, invalid
from reengage_common.web import error_response

ERRORS: ErrorAnswers = {
    EndpointNotFound: lambda exc: error_response(404, "NOT_FOUND", str(exc)),
    EndpointChangedConcurrently: lambda exc: error_response(409, "CONFLICT", str(exc)),
    InvalidEndpoint: lambda exc: invalid(
        [{"field": f, "message": m, "code": c} for f, m, c in exc.problems]
    ),
}


def _endpoints(request: Request) -> WebhookEndpoints:
    return request.state.webhook_endpoints


async def _body(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError as exc:
        raise InvalidEndpoint([("endpoint", "the body is not valid JSON", "INVALID")]) from exc


async def list_endpoints(request: Request, identity: Identity) -> Response:
    return JSONResponse({"items": await read_endpoints(identity)})


async def create_endpoint(request: Request, identity: Identity) -> Response:
    created = await _endpoints(request).create(identity, await _body(request))
    return JSONResponse(created, status_code=201)


async def get_endpoint(request: Request, identity: Identity) -> Response:
    return JSONResponse(await read_endpoint(identity, request.path_params["id"]))


async def replace_endpoint(request: Request, identity: Identity) -> Response:
    changed = await _endpoints(request).replace(
        identity, request.path_params["id"], await _body(request)
    )
    return JSONResponse(changed)


async def delete_endpoint(request: Request, identity: Identity) -> Response:
    await _endpoints(request).delete(identity, request.path_params["id"])
    return JSONResponse({"id": request.path_params["id"], "deleted": True})


async def send_test(request: Request, identity: Identity) -> Response:
    answer = await _endpoints(request).send_test(identity, request.path_params["id"])
    return JSONResponse(answer, status_code=202)


routes = [
    Route("/outbound-webhooks", internal(list_endpoints, errors=ERRORS), methods=["GET"]),
    Route("/outbound-webhooks", internal(create_endpoint, errors=ERRORS), methods=["POST"]),
    Route("/outbound-webhooks/{id}", internal(get_endpoint, errors=ERRORS), methods=["GET"]),
    Route("/outbound-webhooks/{id}", internal(replace_endpoint, errors=ERRORS), methods=["PUT"]),
    Route("/outbound-webhooks/{id}", internal(delete_endpoint, errors=ERRORS), methods=["DELETE"]),
    Route("/outbound-webhooks/{id}/test", internal(send_test, errors=ERRORS), methods=["POST"]),
]
