"""The links in messages: the unsubscribe page (`/u/`) and the booking click (`/b/`).

Only a deliberate act changes anything: the unsubscribe button's POST (RFC 8058), or a
patient's GET of a booking link, which is recorded as CLICKED and nothing more. A click stops
no sequence and says no "interested" on the patient's behalf: mail scanners and link previews
open links too, and not every one of them announces itself. HEAD changes nothing at all, and a
known prefetcher (`domain.prefetch`) is counted in metrics and the log, never in the figures.
"""

from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from reengage_common.messages import (
    BOOKING_CLICK,
    UNSUBSCRIBE,
    BadLinkToken,
    LinkClaims,
    LinkPurpose,
    read_link_token,
)
from tracking_svc.bodies import BodyTooLarge, read_form, too_large, tracking_of
from tracking_svc.public_handlers import on_booking_link, on_unsubscribe


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
    await on_unsubscribe(tracking_of(request), claims)
    return page("You are unsubscribed", "You will receive no more of these messages.")


async def booking_click(request: Request) -> Response:
    """GET records a patient's click; HEAD and prefetchers only get where the link leads."""
    try:
        claims = _claims(request, BOOKING_CLICK)
    except BadLinkToken as error:
        return bad_link(error)
    target = await on_booking_link(tracking_of(request), claims, request.method, request.headers)
    return RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})


routes = [
    Route("/u/{token}", unsubscribe_page, methods=["GET"]),
    Route("/u/{token}", unsubscribe, methods=["POST"]),
    # Starlette answers HEAD with the GET route; the handler tells them apart.
    Route("/b/{token}", booking_click, methods=["GET", "HEAD"]),
]
