"""What every public endpoint reads: a body of bounded size, refused (413) before parsing."""

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tracking_svc.handlers import TrackingHandlers

MAX_FORM_FIELDS = 64


class BodyTooLarge(Exception):
    pass


def tracking_of(request: Request) -> TrackingHandlers:
    return request.state.tracking


async def read_body(request: Request) -> bytes:
    """The body, refused before parsing when it is larger than allowed."""
    limit = tracking_of(request).settings.max_public_body_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    received = bytearray()
    async for chunk in request.stream():
        received.extend(chunk)
        if len(received) > limit:
            raise BodyTooLarge
    body = bytes(received)
    request._body = body  # starlette's form parser reads the cached body, not the socket again
    return body


async def read_form(request: Request) -> FormData:
    await read_body(request)
    return await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)


def too_large() -> Response:
    return JSONResponse({"error": {"code": "TOO_LARGE", "message": "body too large"}}, 413)
