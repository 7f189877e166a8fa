"""What both fakes share: HTTP Basic credentials, the behaviour switch, JSON bodies."""

import base64
import binascii
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .behaviour import Behaviour, BehaviourError


def basic_credentials(request: Request) -> tuple[str, str] | None:
    """(username, password) of an `Authorization: Basic` header, or None."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, sep, password = decoded.partition(":")
    return (username, password) if sep else None


async def json_object(request: Request) -> dict[str, Any] | None:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def behaviour_routes(behaviour: Behaviour) -> list[Route]:
    """`GET /_fake/behaviour` shows it, `POST` changes it (see behaviour.py)."""

    async def show(_: Request) -> JSONResponse:
        return JSONResponse(behaviour.as_json())

    async def change(request: Request) -> JSONResponse:
        payload = await json_object(request)
        if payload is None:
            return JSONResponse({"error": "body: a JSON object"}, status_code=400)
        try:
            behaviour.update(payload)
        except BehaviourError as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        return JSONResponse(behaviour.as_json())

    async def healthz(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def no_icon(_: Request) -> Response:
        # a browser showing /_fake/messages asks for one; a 404 would be an error in its console
        return Response(status_code=204)

    return [
        Route("/_fake/behaviour", show, methods=["GET"]),
        Route("/_fake/behaviour", change, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/favicon.ico", no_icon, methods=["GET"]),
    ]
