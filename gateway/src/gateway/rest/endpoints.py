"""Turning one route of the table into a starlette endpoint: authenticate, authorize, answer.

The permission is the operation's own (`requirement_of`), checked before the body is read, so
REST and GraphQL can never disagree on who may do what.
"""

import json
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import request_response
from starlette.types import Receive, Scope, Send

from gateway.operations.access import Caller, caller_from, requirement_of
from gateway.operations.errors import FieldProblem, Invalid, OperationError, Unauthenticated
from reengage_common.auth import verifier_for
from reengage_common.error_codes import RequestErrorCode
from reengage_common.web import error_response

Handler = Callable[[Request, Caller], Awaitable[Any]]

STATUS_OF_CODE = {
    "UNAUTHENTICATED": 401,
    "FORBIDDEN": 403,
    "NOT_FOUND": 404,
    "NOT_ALLOWED": 409,
    "VALIDATION": 422,
    "SERVICE_FAILED": 502,
    "NOT_AVAILABLE": 503,
}


# What an error status means on any route; a route says its own 404, 409 and 503 (see `errors`).
COMMON_ERROR_MEANINGS = {
    401: "No token, or a bad or expired one",
    403: "The token lacks the permission (or role) this needs",
    422: "Invalid input; `error.fields` names each bad field with a `code`",
    503: "The service that answers this is down or unreachable",
}


def errors(*statuses: int, meaning: Mapping[int, str] | None = None) -> dict[int, str]:
    """A route's error statuses, each with what it means on that route: its own words where it
    has them, else the common ones."""
    own = meaning or {}
    return {status: own.get(status) or COMMON_ERROR_MEANINGS[status] for status in statuses}


@dataclass(frozen=True)
class RestRoute:
    method: str
    path: str
    operation: Callable[..., Awaitable[Any]]
    handler: Handler
    summary: str
    # None for a file (`media_type` not JSON): the handler answers its own Response.
    response: type[BaseModel] | None
    success_status: int = 200
    request_body: type[BaseModel] | None = None
    # Query parameter -> its JSON schema in the document.
    query: Mapping[str, dict[str, Any]] = field(default_factory=dict)
    # Error status -> what it means on this route (`errors(...)`).
    errors: Mapping[int, str] = field(kw_only=True)
    # The group the document lists the route under (its resource).
    tag: str = field(kw_only=True)
    # Query parameters the route cannot do without (the others are optional).
    required_query: Collection[str] = field(default=(), kw_only=True)
    # What a success answers: JSON (`response`), or a file such as text/csv.
    media_type: str = field(default="application/json", kw_only=True)

    @property
    def operation_id(self) -> str:
        return self.operation.__name__.replace("_", " ").title().replace(" ", "")


def endpoint(route: RestRoute) -> Callable[[Request], Awaitable[Response]]:
    async def answer(request: Request) -> Response:
        try:
            caller = caller_from(
                request.headers.get("authorization"),
                verifier_for(request.state.settings),
                request.state.clients,
            )
            caller.require(requirement_of(route.operation))
            body = await route.handler(request, caller)
        except OperationError as error:
            return error_response_of(error)
        if isinstance(body, Response):  # a file, streamed or whole
            return body
        return JSONResponse(body, status_code=route.success_status)

    answer.__name__ = route.operation.__name__
    return answer


class PathApp:
    """Every method of one path as one ASGI app, so a method the path does not take is a 405
    whose `Allow` lists all the methods it does take (HEAD with GET). Starlette would route
    each method alone and answer a 405 with the methods of one of them.

    An ASGI app rather than a function: starlette's Route then takes every method here.
    """

    def __init__(self, routes: list[RestRoute]) -> None:
        self._by_method = {route.method: endpoint(route) for route in routes}
        if "GET" in self._by_method:
            self._by_method["HEAD"] = self._by_method["GET"]
        self.allow = ", ".join(sorted(self._by_method))
        self._app = request_response(self._answer)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app(scope, receive, send)

    async def _answer(self, request: Request) -> Response:
        chosen = self._by_method.get(request.method)
        if chosen is not None:
            return await chosen(request)
        response = error_response(
            405, "METHOD_NOT_ALLOWED", f"{request.method} is not allowed here; use {self.allow}"
        )
        response.headers["Allow"] = self.allow
        return response


def error_response_of(error: OperationError) -> JSONResponse:
    extra: dict[str, object] = {}
    if isinstance(error, Invalid):
        extra["fields"] = [
            {"field": f.field, "message": f.message, "code": f.code} for f in error.fields
        ]
    response = error_response(
        STATUS_OF_CODE.get(error.code, 500), error.code, error.message, **extra
    )
    if isinstance(error, Unauthenticated):
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


async def json_body(request: Request) -> Any:
    raw = await request.body()
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise Invalid(
            "the body is not JSON", [FieldProblem("body", "is not JSON", RequestErrorCode.NOT_JSON)]
        ) from exc


def _single_query(request: Request, name: str) -> str | None:
    """The one value of a query parameter; the document gives each parameter one value."""
    values = request.query_params.getlist(name)
    if len(values) > 1:
        problem = FieldProblem(name, "give it once", RequestErrorCode.GIVEN_TWICE)
        raise Invalid(f"{name} is given more than once", [problem])
    return values[0] if values else None


async def optional_object_body(request: Request) -> dict[str, Any]:
    """A body that may be left out (then it is empty), or else is a JSON object (not null)."""
    if not await request.body():
        return {}
    raw_body = await json_body(request)
    if not isinstance(raw_body, dict):
        problem = FieldProblem("body", "expected a JSON object", RequestErrorCode.INVALID_TYPE)
        raise Invalid("expected a JSON object", [problem])
    return raw_body


def int_query(request: Request, name: str) -> int | None:
    value = _single_query(request, name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError as exc:
        problem = FieldProblem(name, "must be a whole number", RequestErrorCode.INVALID_TYPE)
        raise Invalid(f"{name} must be a whole number", [problem]) from exc


def text_query(request: Request, name: str) -> str | None:
    return _single_query(request, name) or None


def choice_query(request: Request, name: str, choices: Collection[str]) -> str | None:
    """An optional query parameter that must be one of `choices` when given (blank included)."""
    value = _single_query(request, name)
    if value is None or value in choices:
        return value
    expected = ", ".join(sorted(choices))
    problem = FieldProblem(name, f"must be one of {expected}", RequestErrorCode.NOT_ONE_OF)
    raise Invalid(f"{name} must be one of {expected}", [problem])
