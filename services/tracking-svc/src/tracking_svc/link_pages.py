"""The links in messages: the unsubscribe page (`/u/`) and the booking click (`/b/`).

Only a deliberate act changes anything: the unsubscribe button's POST (RFC 8058), or a
patient's GET of a booking link, which is recorded as CLICKED and nothing more. A click stops
no sequence and says no "interested" on the patient's behalf: mail scanners and link previews
open links too, and not every one of them announces itself. HEAD changes nothing at all, and a
known prefetcher (`domain.prefetch`) is counted in metrics and the log, never in the figures.
"""

from html import escape

import structlog
from prometheus_client import Counter
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from reengage_common.events import Channel, ResponseKind
from reengage_common.messages import (
    BOOKING_CLICK,
    UNSUBSCRIBE,
    BadLinkToken,
    LinkClaims,
    LinkPurpose,
    read_link_token,
)
from tracking_svc.bodies import BodyTooLarge, read_form, too_large, tracking_of
from tracking_svc.domain.prefetch import is_prefetch
from tracking_svc.handlers import TrackingHandlers, response_envelope
from tracking_svc.store import clinic_of, contact_by_key, launched

log = structlog.get_logger(__name__)
LINK_PREFETCHES = Counter(
    "tracking_link_prefetches_total",
    "Booking links opened by a link scanner or a prefetch (not counted as clicks)",
)


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
    if error.expired or error.reason == "revoked":
        return page(
            "This link has expired", "Please reply STOP to a text, or contact the clinic.", 410
        )
    return page(
        "This link is not valid",
        "The link may have been cut or changed. Please contact the clinic directly.",
        400,
    )


def _claims(request: Request, purpose: LinkPurpose) -> LinkClaims:
    tracking = tracking_of(request)
    settings = tracking.settings
    return read_link_token(
        settings.link_secret,
        request.path_params["token"],
        purpose,
        now=tracking.clock(),
        revoked_before=settings.link_revoked_before,
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
    tracking = tracking_of(request)
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
    """GET records a patient's click; HEAD and prefetchers only get where the link leads."""
    try:
        claims = _claims(request, BOOKING_CLICK)
    except BadLinkToken as error:
        return bad_link(error)
    if request.method == "GET":
        if is_prefetch(request.headers):
            LINK_PREFETCHES.inc()
            log.info("link.prefetched", campaign_id=claims.campaign_id)
        else:
            await _record_click(tracking_of(request), claims)
    clinic = clinic_of(await launched(claims.clinic_id, claims.campaign_id))
    target = (clinic.booking_url if clinic else None) or _fallback(request)
    return RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})


def _fallback(request: Request) -> str:
    return tracking_of(request).settings.fallback_booking_url


async def _record_click(tracking: TrackingHandlers, claims: LinkClaims) -> None:
    sent = await contact_by_key(f"sent:{claims.message_id}")
    channel = Channel(sent["channel"]) if sent and sent.get("channel") else None
    await tracking.publisher.publish(
        response_envelope(
            ResponseKind.CLICKED,
            clinic_id=claims.clinic_id,
            campaign_id=claims.campaign_id,
            patient_id=claims.patient_id,
            at=tracking.clock(),
            dedupe=f"click:{claims.clinic_id}:{claims.message_id}:{ResponseKind.CLICKED.value}",
            channel=channel,
        )
    )


routes = [
    Route("/u/{token}", unsubscribe_page, methods=["GET"]),
    Route("/u/{token}", unsubscribe, methods=["POST"]),
    # Starlette answers HEAD with the GET route; the handler tells them apart.
    Route("/b/{token}", booking_click, methods=["GET", "HEAD"]),
]
