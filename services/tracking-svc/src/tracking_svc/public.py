"""Public endpoints, reached by patients and providers, never by staff (paths in the contract).

They trust only a signed link token, the Twilio signature or the email webhook's shared
secret. Any replica may serve them, so they never write a recipient: they publish
`recipient.responded` (keyed by patient; its consumer stores it) or insert a unique record.
Every one reads at most `max_public_body_bytes` (413 beyond) and answers bad input with 4xx.
"""

import hmac
import json
from html import escape
from typing import Any

import structlog
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from reengage_common.events import Channel, ResponseKind
from reengage_common.messages import (
    BOOKING_CLICK,
    UNSUBSCRIBE,
    BadLinkToken,
    LinkClaims,
    read_link_token,
)
from tracking_svc.domain.replies import (
    ReplyMeaning,
    is_permanent_sms_failure,
    meaning_of,
    reply_text,
    signature_matches,
    twiml,
)
from tracking_svc.handlers import TrackingHandlers, response_envelope
from tracking_svc.inbound import match_sender, store_reply
from tracking_svc.store import clinic_of, contact_by_key, keep_unmatched, launched

log = structlog.get_logger(__name__)
MAX_FORM_FIELDS = 64
MAX_EMAIL_EVENTS = 500


class BodyTooLarge(Exception):
    pass


def _tracking(request: Request) -> TrackingHandlers:
    return request.state.tracking


async def read_body(request: Request) -> bytes:
    """The body, refused before parsing when it is larger than allowed."""
    limit = _tracking(request).settings.max_public_body_bytes
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


def bad_request(field: str, message: str, status: int = 400) -> Response:
    return JSONResponse(
        {"error": {"code": "BAD_REQUEST", "message": f"{field}: {message}", "field": field}},
        status_code=status,
    )


def _public_url(request: Request) -> str:
    """The URL the provider signed: PUBLIC_BASE_URL + our path (+ query)."""
    base = _tracking(request).settings.public_base_url.rstrip("/")
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
    token = _tracking(request).settings.twilio_auth_token
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
    sender, body, sid = form.get("From"), form.get("Body"), form.get("MessageSid")
    if not isinstance(sender, str) or not sender or not isinstance(sid, str) or not sid:
        return bad_request("From" if not sender else "MessageSid", "is required")
    text = body if isinstance(body, str) else ""
    tracking = _tracking(request)
    recipient = await match_sender(sender)
    meaning = meaning_of(text)
    if recipient is None:
        log.info("twilio.inbound_unknown_sender", message_sid=sid)
        return _twiml(reply_text(meaning, None) if meaning is ReplyMeaning.STOP else None)
    clinic = clinic_of(await launched(recipient["clinic_id"], recipient["campaign_id"]))
    now = tracking.clock()
    kinds = {
        ReplyMeaning.STOP: ResponseKind.UNSUBSCRIBED,
        ReplyMeaning.INTERESTED: ResponseKind.INTERESTED,
        ReplyMeaning.NOT_INTERESTED: ResponseKind.NOT_INTERESTED,
    }
    if meaning in kinds:
        await tracking.publisher.publish(
            response_envelope(
                kinds[meaning],
                clinic_id=recipient["clinic_id"],
                campaign_id=recipient["campaign_id"],
                patient_id=recipient["patient"],
                at=now,
                dedupe=f"twilio:{sid}",
                channel=Channel.SMS,
            )
        )
    elif meaning is ReplyMeaning.OTHER:
        await store_reply(recipient, sid, text, now)
    log.info("twilio.inbound", meaning=meaning.value, campaign_id=recipient["campaign_id"])
    return _twiml(reply_text(meaning, clinic))


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
    outcome = None
    if status == "delivered":
        outcome = "delivered"
    elif is_permanent_sms_failure(status, error_code if isinstance(error_code, str) else None):
        outcome = "bounced"
    if outcome is not None:
        await _report(request, sid, outcome)
    return Response(status_code=204)


async def _report(request: Request, pmid: str, outcome: str) -> None:
    tracking = _tracking(request)
    now = tracking.clock()
    if not await tracking.delivery_reported(pmid, outcome, now):
        # The callback beat message.sent to us: kept, and applied when that event arrives.
        await keep_unmatched(pmid, outcome, {"outcome": outcome, "at": now.isoformat()})


EMAIL_OUTCOMES = {"delivered": "delivered", "complaint": "complained"}


async def email_events(request: Request) -> Response:
    secret = _tracking(request).settings.email_webhook_secret
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
    applied = 0
    for event in events:
        outcome = EMAIL_OUTCOMES.get(event["type"])
        if event["type"] == "bounce" and str(event.get("bounceType", "")).lower() in {
            "hard",
            "permanent",
        }:
            outcome = "bounced"
        if outcome is not None:
            await _report(request, event["messageId"].strip("<>"), outcome)
            applied += 1
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


# --- links in messages ------------------------------------------------------------------------


def page(title: str, message: str, status: int = 200, form: str = "") -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f'<title>{escape(title)}</title></head><body style="font-family:sans-serif;max-width:32em;'
        f'margin:3em auto;padding:0 1em"><h1>{escape(title)}</h1><p>{escape(message)}</p>'
        f"{form}</body></html>",
        status_code=status,
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


def bad_link(error: BadLinkToken) -> HTMLResponse:
    if error.expired:
        return page(
            "This link has expired", "Please reply STOP to a text, or contact the clinic.", 410
        )
    return page(
        "This link is not valid",
        "The link may have been cut or changed. Please contact the clinic directly.",
        400,
    )


def _claims(request: Request, purpose: Any) -> LinkClaims:
    settings = _tracking(request).settings
    return read_link_token(
        settings.link_secret, request.path_params["token"], purpose, now=_tracking(request).clock()
    )


async def unsubscribe_page(request: Request) -> Response:
    try:
        _claims(request, UNSUBSCRIBE)
    except BadLinkToken as error:
        return bad_link(error)
    button = (
        '<form method=post><input type=hidden name="List-Unsubscribe" value="One-Click">'
        "<button type=submit>Unsubscribe</button></form>"
    )
    return page("Unsubscribe", "Stop receiving these messages from the clinic?", form=button)


async def unsubscribe(request: Request) -> Response:
    try:
        form = await read_form(request)
    except BodyTooLarge:
        return too_large()
    except Exception:
        return page("Nothing was changed", "The request was not understood.", 400)
    try:
        claims = _claims(request, UNSUBSCRIBE)
    except BadLinkToken as error:
        return bad_link(error)
    if form.get("List-Unsubscribe") != "One-Click":
        return page("Nothing was changed", "Use the Unsubscribe button to confirm.", 400)
    tracking = _tracking(request)
    await tracking.publisher.publish(
        response_envelope(
            ResponseKind.UNSUBSCRIBED,
            clinic_id=claims.clinic_id,
            campaign_id=claims.campaign_id,
            patient_id=claims.patient_id,
            at=tracking.clock(),
            dedupe=f"unsubscribe:{claims.clinic_id}:{claims.campaign_id}:{claims.patient_id}:{claims.channel}",
            channel=claims.channel,
        )
    )
    return page("You are unsubscribed", "You will receive no more of these messages.")


async def booking_click(request: Request) -> Response:
    try:
        claims = _claims(request, BOOKING_CLICK)
    except BadLinkToken as error:
        return bad_link(error)
    tracking = _tracking(request)
    now = tracking.clock()
    sent = await contact_by_key(f"sent:{claims.message_id}")
    channel = Channel(sent["channel"]) if sent and sent.get("channel") else None
    await tracking.publisher.publish_many(
        response_envelope(
            kind,
            clinic_id=claims.clinic_id,
            campaign_id=claims.campaign_id,
            patient_id=claims.patient_id,
            at=now,
            dedupe=f"click:{claims.clinic_id}:{claims.message_id}:{kind.value}",
            channel=channel,
        )
        for kind in (ResponseKind.CLICKED, ResponseKind.INTERESTED)
    )
    clinic = clinic_of(await launched(claims.clinic_id, claims.campaign_id))
    target = (clinic.booking_url if clinic else None) or tracking.settings.fallback_booking_url
    return RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})


routes = [
    Route("/webhooks/twilio/inbound", twilio_inbound, methods=["POST"]),
    Route("/webhooks/twilio/status", twilio_status, methods=["POST"]),
    Route("/webhooks/email/events", email_events, methods=["POST"]),
    Route("/u/{token}", unsubscribe_page, methods=["GET"]),
    Route("/u/{token}", unsubscribe, methods=["POST"]),
    Route("/b/{token}", booking_click, methods=["GET"]),
]
