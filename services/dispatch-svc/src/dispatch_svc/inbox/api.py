"""dispatch-svc's internal routes for the front desk's inbox.

GET /inbox (conversations, latest first), GET /inbox/{patientId} (its messages),
POST /inbox/{patientId}/read, PUT /inbox/{patientId}/assignee {"assignee"},
POST /inbox/{patientId}/replies {"text", "replyId"?}: 201 with the reply (status SENT or
FAILED with the provider's reason); 409 NOT_ALLOWED when the patient opted out or it is outside
the sending hours on their clock; 422 naming `text`.
"""

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dispatch_svc.domain.inbox import ReplyRefused
from dispatch_svc.inbox.handlers import (
    ConversationNotFound,
    InboxCommands,
    read_conversation,
    read_inbox,
)
from reengage_common.auth import Identity
from reengage_common.internal_api import ErrorAnswers, internal, invalid
from reengage_common.web import error_response

NOT_NOW = {"OPTED_OUT", "OUTSIDE_LEGAL_HOURS"}


def _refused(exc: ReplyRefused) -> Response:
    if exc.code in NOT_NOW:
        return error_response(409, "NOT_ALLOWED", exc.message, reason=exc.code)
    return invalid([{"field": exc.field, "message": exc.message, "code": exc.code}])


ERRORS: ErrorAnswers = {
    ConversationNotFound: lambda exc: error_response(404, "NOT_FOUND", str(exc)),
    ReplyRefused: _refused,
}


def _commands(request: Request) -> InboxCommands:
    return request.state.inbox


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError as exc:
        raise ReplyRefused("body", "the body is not valid JSON", "NOT_JSON") from exc
    if not isinstance(body, dict):
        raise ReplyRefused("body", "expected a JSON object", "INVALID_TYPE")
    return body


async def inbox(request: Request, identity: Identity) -> Response:
    return JSONResponse({"items": await read_inbox(identity)})


async def conversation(request: Request, identity: Identity) -> Response:
    return JSONResponse(await read_conversation(identity, request.path_params["patient"]))


async def mark_read(request: Request, identity: Identity) -> Response:
    await _commands(request).mark_read(identity, request.path_params["patient"])
    return JSONResponse(await read_conversation(identity, request.path_params["patient"]))


async def assign(request: Request, identity: Identity) -> Response:
    body = await _body(request)
    await _commands(request).assign(identity, request.path_params["patient"], body.get("assignee"))
    return JSONResponse(await read_conversation(identity, request.path_params["patient"]))


async def reply(request: Request, identity: Identity) -> Response:
    body = await _body(request)
    reply_id = body.get("replyId") if isinstance(body.get("replyId"), str) else None
    sent = await _commands(request).reply(
        identity, request.path_params["patient"], body.get("text"), reply_id
    )
    return JSONResponse(sent, status_code=201)


routes = [
    Route("/inbox", internal(inbox, errors=ERRORS), methods=["GET"]),
    Route("/inbox/{patient}", internal(conversation, errors=ERRORS), methods=["GET"]),
    Route("/inbox/{patient}/read", internal(mark_read, errors=ERRORS), methods=["POST"]),
    Route("/inbox/{patient}/assignee", internal(assign, errors=ERRORS), methods=["PUT"]),
    Route("/inbox/{patient}/replies", internal(reply, errors=ERRORS), methods=["POST"]),
]
