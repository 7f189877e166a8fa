"""The OpenAPI 3.1 document of the REST paths, generated from the route table."""

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.operations.access import requirement_of
from gateway.rest.endpoints import RestRoute
from gateway.rest.schemas import ErrorBody

OPENAPI_PATH = "/api/openapi.json"
REF = "#/components/schemas/{model}"

TAGS = [
    {"name": "campaigns", "description": "Your clinic's campaigns and their lifecycle"},
    {"name": "tracking", "description": "A campaign's figures and recipients (tracking-svc)"},
    {"name": "audience", "description": "Who a targeting reaches, and the patients it reads"},
    {"name": "clinic", "description": "Your clinic's profile: what messages say about it"},
    {
        "name": "exports",
        "description": "Files: recipients, stats and summaries as CSV, stats as PDF",
    },
    {"name": "meta", "description": "This document"},
]
QUERY_DESCRIPTIONS = {
    "status": "Only campaigns (or recipients) with this status",
    "first": "Page size (at most 100)",
    "after": "The `pageInfo.endCursor` of the previous page",
    "from": "The first day of the range (YYYY-MM-DD, UTC)",
    "to": "The last day of the range, included (YYYY-MM-DD, UTC)",
}


# A schema reference per model and mode: a request body is what the service accepts
# ("validation", e.g. null for a defaulted field), an answer what it sends ("serialization").
Refs = dict[tuple[type[BaseModel], JsonSchemaMode], dict[str, Any]]


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _links(route: RestRoute, routes: tuple[RestRoute, ...]) -> dict[str, Any]:
    """From an answer that creates a resource to every operation on one resource by its id, so a
    client (and stateful testing) can follow the created id."""
    if (
        route.response is None
        or route.success_status != 201
        or "id" not in route.response.model_fields
    ):
        return {}
    return {
        target.operation_id: {
            "operationId": target.operation_id,
            "parameters": {"id": "$response.body#/id"},
        }
        for target in routes
        if "{id}" in target.path
    }


def _operation(route: RestRoute, routes: tuple[RestRoute, ...], refs: Refs) -> dict[str, Any]:
    requirement = requirement_of(route.operation)
    parameters: list[dict[str, Any]] = []
    if "{id}" in route.path:
        parameters.append(
            {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
        )
    for name, schema in route.query.items():
        parameters.append(
            {
                "name": name,
                "in": "query",
                "required": name in route.required_query,
                "schema": schema,
                "description": QUERY_DESCRIPTIONS[name],
            }
        )
    if route.response is None:
        schema = {"type": "string"} | ({} if "csv" in route.media_type else {"format": "binary"})
        success = {"description": "Success", "content": {route.media_type: {"schema": schema}}}
    else:
        success = _json(refs[(route.response, "serialization")], "Success")
    links = _links(route, routes)
    responses: dict[str, Any] = {
        str(route.success_status): success | ({"links": links} if links else {})
    }
    for status, meaning in route.errors.items():
        responses[str(status)] = _json(refs[(ErrorBody, "serialization")], meaning)
    operation: dict[str, Any] = {
        "operationId": route.operation_id,
        "summary": route.summary,
        "description": f"Requires {requirement.describe().removeprefix('needs ')}.",
        "tags": [route.tag],
        "security": [{"bearer": []}],
        "parameters": parameters,
        "responses": responses,
    }
    if route.request_body is not None:
        body = _json(refs[(route.request_body, "validation")], "JSON body")
        # A body whose every field is optional may be left out (e.g. a preview's).
        required = any(field.is_required() for field in route.request_body.model_fields.values())
        operation["requestBody"] = {"required": required, **body}
    return operation


def _schemas(routes: tuple[RestRoute, ...]) -> tuple[Refs, dict[str, Any]]:
    uses: set[tuple[type[BaseModel], JsonSchemaMode]] = {(ErrorBody, "serialization")}
    uses |= {(route.response, "serialization") for route in routes if route.response}
    uses |= {(route.request_body, "validation") for route in routes if route.request_body}
    refs, schemas = models_json_schema(
        sorted(uses, key=lambda use: (use[0].__name__, use[1])), ref_template=REF
    )
    return refs, schemas.get("$defs", {})


def openapi_document(routes: tuple[RestRoute, ...]) -> dict[str, Any]:
    refs, schemas = _schemas(routes)
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route, routes, refs)
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
        "tags": TAGS,
        "paths": paths,
        "components": {
            "schemas": schemas,
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
