"""The OpenAPI 3.1 document of the REST paths, generated from the route table."""

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.operations.access import requirement_of
from gateway.rest.endpoints import RestRoute
from gateway.rest.schemas import ErrorBody

OPENAPI_PATH = "/api/openapi.json"
REF = "#/components/schemas/{model}"

ERROR_MEANINGS = {
    401: "No token, or a bad or expired one",
    403: "The token lacks the permission (or role) this needs",
    404: "No such campaign in your clinic",
    409: "The campaign's status does not allow this",
    422: "Invalid input; `error.fields` names each bad field",
    503: "The service that answers this is down or unreachable",
}
QUERY_DESCRIPTIONS = {
    "status": "Only campaigns (or recipients) with this status",
    "first": "Page size (at most 100)",
    "after": "The `pageInfo.endCursor` of the previous page",
}


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}


def _json(model: type[BaseModel], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(model)}}}


def _operation(route: RestRoute) -> dict[str, Any]:
    requirement = requirement_of(route.operation)
    parameters: list[dict[str, Any]] = []
    if "{id}" in route.path:
        parameters.append(
            {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
        )
    for name in route.query:
        schema = {"type": "integer", "minimum": 1} if name == "first" else {"type": "string"}
        parameters.append(
            {
                "name": name,
                "in": "query",
                "required": False,
                "schema": schema,
                "description": QUERY_DESCRIPTIONS[name],
            }
        )
    responses: dict[str, Any] = {str(route.success_status): _json(route.response, "Success")}
    for status in route.errors:
        responses[str(status)] = _json(ErrorBody, ERROR_MEANINGS[status])
    operation: dict[str, Any] = {
        "operationId": route.operation_id,
        "summary": route.summary,
        "description": f"Requires {requirement.describe().removeprefix('needs ')}.",
        "tags": ["campaigns"],
        "security": [{"bearer": []}],
        "parameters": parameters,
        "responses": responses,
    }
    if route.request_body is not None:
        operation["requestBody"] = {"required": True, **_json(route.request_body, "JSON body")}
    return operation


def openapi_document(routes: tuple[RestRoute, ...]) -> dict[str, Any]:
    models = {route.response for route in routes} | {ErrorBody}
    models |= {route.request_body for route in routes if route.request_body is not None}
    _, schemas = models_json_schema(
        [(model, "validation") for model in sorted(models, key=lambda m: m.__name__)],
        ref_template=REF,
    )
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route)
    paths[OPENAPI_PATH] = {
        "get": {
            "operationId": "OpenApiDocument",
            "summary": "This document",
            "tags": ["meta"],
            "security": [],
            "responses": {
                "200": {"description": "OpenAPI 3.1", "content": {"application/json": {}}}
            },
        }
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Re-engagement campaigns API", "version": "1.0.0"},
        "paths": paths,
        "components": {
            "schemas": schemas.get("$defs", {}),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
    }


def openapi_route(routes: tuple[RestRoute, ...]) -> Route:
    document = openapi_document(routes)

    async def serve(_: Request) -> Response:
        return JSONResponse(document)

    return Route(OPENAPI_PATH, serve, methods=["GET"])
