"""Public endpoints, reached by patients and providers, never by staff (paths in the contract).

They trust only a signed link token, the Twilio signature or the email webhook's shared
secret. Every one reads at most `max_public_body_bytes` (413 beyond), answers bad input with
4xx, and hands what it parsed to one handler (`public_handlers`; the rules: `domain.
public_responses`).
"""

import hmac
import json
from typing import Any

import structlog
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tracking_svc import link_pages
from tracking_svc.bodies import BodyTooLarge, read_body, read_form, too_large, tracking_of
from tracking_svc.domain.replies import signature_matches, twiml
from tracking_svc.public_handlers import on_email_events, on_inbound_sms, on_sms_status

log = structlog.get_logger(__name__)
MAX_EMAIL_EVENTS = 500


def bad_request(field: str, message: str, status: int = 400) -> Response:
    return JSONResponse(
        {"error": {"code": "BAD_REQUEST", "message": f"{field}: {message}", "field": field}},
        status_code=status,
    )


def _public_url(request: Request) -> str:
    """The URL the provider signed: PUBLIC_BASE_URL + our path (+ query)."""
    base = tracking_of(request).settings.public_base_url.rstrip("/")
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{base}{request.url.path}{query}"


async def _signed_twilio_form(request: Request) -> FormData | Response:
    try:
        form = await read_form(request)
    except BodyTooLarge:
        return too_large()
    except Exception:  # python-multipart refuses malformed bodies and too many fields
        return bad_request("body", "not a form")
    params = [(name, value) for name, value in form.multi_items() if isinstance(value, str)]
    token = tracking_of(request).settings.twilio_auth_token
    if not signature_matches(
        token, _public_url(request), params, request.headers.get("x-twilio-signature")
    ):
        log.warning("twilio.signature_refused", path=request.url.path)
        return bad_request("X-Twilio-Signature", "does not match the request", 403)
    return form


async def twilio_inbound(request: Request) -> Response:
    form = await _signed_twilio_form(request)
    if isinstance(form, Response):
        return form
    fields = {name: form.get(name) for name in ("From", "To", "Body", "MessageSid")}
    for name in ("From", "To", "MessageSid"):
        if not isinstance(fields[name], str) or not fields[name]:
            return bad_request(name, "is required")
    texts = {name: value for name, value in fields.items() if isinstance(value, str)}
    answer = await on_inbound_sms(
        tracking_of(request),
        texts,
        sender=texts["From"],
        clinic_number=texts["To"],
        sid=texts["MessageSid"],
    )
    return _twiml(answer)


def _twiml(message: str | None) -> Response:
    return Response(twiml(message), media_type="application/xml")


async def twilio_status(request: Request) -> Response:
    form = await _signed_twilio_form(request)
    if isinstance(form, Response):
        return form
    sid, status = form.get("MessageSid"), form.get("MessageStatus")
    if not isinstance(sid, str) or not sid:
        return bad_request("MessageSid", "is required")
    if not isinstance(status, str) or not status:
        return bad_request("MessageStatus", "is required")
    error_code = form.get("ErrorCode")
    code = error_code if isinstance(error_code, str) else None
    await on_sms_status(tracking_of(request), sid, status, code)
    return Response(status_code=204)


async def email_events(request: Request) -> Response:
    secret = tracking_of(request).settings.email_webhook_secret
    given = request.headers.get("x-webhook-secret", "")
    if not secret or not hmac.compare_digest(secret.encode(), given.encode()):
        return bad_request("X-Webhook-Secret", "missing or wrong", 401)
    try:
        events = json.loads(await read_body(request))
    except BodyTooLarge:
        return too_large()
    except ValueError:
        return bad_request("body", "not JSON")
    problem = _email_events_problem(events)
    if problem:
        return bad_request(*problem, status=422)
    applied = await on_email_events(tracking_of(request), events)
    return JSONResponse({"received": len(events), "applied": applied})


def _email_events_problem(events: Any) -> tuple[str, str] | None:
    if not isinstance(events, list):
        return "body", "expected a JSON list of events"
    if len(events) > MAX_EMAIL_EVENTS:
        return "body", f"at most {MAX_EMAIL_EVENTS} events per call"
    for index, event in enumerate(events):
        if not isinstance(event, dict):
            return f"{index}", "expected an object"
        if not isinstance(event.get("messageId"), str) or not event["messageId"]:
            return f"{index}.messageId", "is required"
        if event.get("type") not in {"delivered", "bounce", "complaint"}:
            return f"{index}.type", "must be delivered, bounce or complaint"
    return None


routes = [
    Route("/webhooks/twilio/inbound", twilio_inbound, methods=["POST"]),
    Route("/webhooks/twilio/status", twilio_status, methods=["POST"]),
    Route("/webhooks/email/events", email_events, methods=["POST"]),
    *link_pages.routes,
]
