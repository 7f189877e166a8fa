"""Public endpoints, reached by patients and providers, never by staff (paths in the contract).

They trust only a signed link token, the Twilio signature or the email webhook's shared
secret. Any replica may serve them, so they never write a recipient: they publish
`recipient.responded` (keyed by patient; its consumer stores it) or insert a unique record.
Every one reads at most `max_public_body_bytes` (413 beyond) and answers bad input with 4xx.
"""

import hmac
import json
from typing import Any

import structlog
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reengage_common.events import Channel, ResponseKind
from tracking_svc import link_pages
from tracking_svc.bodies import BodyTooLarge, read_body, read_form, too_large, tracking_of
from tracking_svc.domain.replies import (
    ReplyMeaning,
    is_permanent_sms_failure,
    meaning_of,
    provider_message_key,
    reply_text,
    signature_matches,
    twiml,
)
from tracking_svc.handlers import response_envelope
from tracking_svc.inbound import keep_unmatched_inbound, match_sender, store_reply
from tracking_svc.received import received_envelope
from tracking_svc.store import clinic_of, keep_unmatched, launched

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
    sender, sid, text = texts["From"], texts["MessageSid"], texts.get("Body", "")
    tracking = tracking_of(request)
    # The pair: the patient's number and the clinic number they wrote to (module inbound).
    recipient = await match_sender(sender, texts["To"])
    meaning = meaning_of(text)
    if recipient is None:
        log.info("twilio.inbound_unmatched", message_sid=sid)
        await keep_unmatched_inbound(sid, texts, tracking.clock())
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
    await tracking.publisher.publish(
        received_envelope(
            recipient,
            sid=sid,
            sender=sender,
            clinic_number=texts["To"],
            text=text,
            meaning=meaning.value,
            clinic=clinic,
            at=now,
        )
    )
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
    tracking = tracking_of(request)
    now = tracking.clock()
    if not await tracking.delivery_reported(pmid, outcome, now):
        # The callback beat message.sent to us: kept, and applied when that event arrives.
        await keep_unmatched(pmid, outcome, {"outcome": outcome, "at": now.isoformat()})


EMAIL_OUTCOMES = {"delivered": "delivered", "complaint": "complained"}


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
    applied = 0
    for event in events:
        outcome = EMAIL_OUTCOMES.get(event["type"])
        if event["type"] == "bounce" and str(event.get("bounceType", "")).lower() in {
            "hard",
            "permanent",
        }:
            outcome = "bounced"
        if outcome is not None:
            await _report(request, provider_message_key(event["messageId"]), outcome)
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


routes = [
    Route("/webhooks/twilio/inbound", twilio_inbound, methods=["POST"]),
    Route("/webhooks/twilio/status", twilio_status, methods=["POST"]),
    Route("/webhooks/email/events", email_events, methods=["POST"]),
    *link_pages.routes,
]
