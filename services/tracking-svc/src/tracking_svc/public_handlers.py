"""One handler per public command (a reply, a status callback, email events, an unsubscribe,
a click): each applies the rules of `domain.public_responses` and publishes or stores what
they decide. The routes (`public`, `link_pages`) parse, check signatures and answer.

Any replica may serve them, so none writes a recipient: a response is published
(`recipient.responded`, keyed by patient; its consumer stores it), anything else is a unique
insert.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import structlog
from prometheus_client import Counter

from reengage_common.events import Channel
from reengage_common.messages import LinkClaims
from tracking_svc.domain.prefetch import is_prefetch
from tracking_svc.domain.public_responses import (
    PublicResponse,
    click_response,
    email_event_outcome,
    for_household,
    reply_response,
    sms_status_outcome,
    unsubscribe_response,
)
from tracking_svc.domain.replies import (
    ReplyMeaning,
    meaning_of,
    provider_message_key,
    reply_language,
    reply_text,
)
from tracking_svc.handlers import TrackingHandlers, response_envelope
from tracking_svc.inbound import keep_unmatched_inbound, match_sender, store_reply
from tracking_svc.received import received_envelope
from tracking_svc.store.records import clinic_of

log = structlog.get_logger(__name__)
LINK_PREFETCHES = Counter(
    "tracking_link_prefetches_total",
    "Booking links opened by a link scanner or a prefetch (not counted as clicks)",
)


async def on_inbound_sms(
    tracking: TrackingHandlers, form: dict[str, str], *, sender: str, clinic_number: str, sid: str
) -> str | None:
    """An inbound SMS: its response published (STOP, YES, NO) or the reply kept for staff, and
    `message.received` for the front desk's inbox. Returns the text to answer with, if any."""
    text = form.get("Body", "")
    # The pair: the patient's number and the clinic number they wrote to (module inbound).
    recipient = await match_sender(tracking.store, sender, clinic_number)
    meaning = meaning_of(text)
    if recipient is None:
        log.info("twilio.inbound_unmatched", message_sid=sid)
        await keep_unmatched_inbound(tracking.store, sid, form, tracking.clock())
        # no campaign of ours: only a STOP is answered, in the language of its keyword
        language = reply_language(None, text)
        return reply_text(meaning, None, language) if meaning is ReplyMeaning.STOP else None
    clinic = clinic_of(
        await tracking.store.launched(recipient["clinic_id"], recipient["campaign_id"])
    )
    now = tracking.clock()
    response = reply_response(
        meaning,
        clinic_id=recipient["clinic_id"],
        campaign_id=recipient["campaign_id"],
        patient_id=recipient["patient"],
        message_sid=sid,
    )
    if response is not None:
        for each in for_household(response, recipient.get("household") or ()):
            await publish(tracking, each, now)
    elif meaning is ReplyMeaning.OTHER:
        await store_reply(tracking.store, recipient, sid, text, now)
    await tracking.publisher.publish(
        received_envelope(
            recipient,
            sid=sid,
            sender=sender,
            clinic_number=clinic_number,
            text=text,
            meaning=meaning.value,
            clinic=clinic,
            at=now,
        )
    )
    log.info("twilio.inbound", meaning=meaning.value, campaign_id=recipient["campaign_id"])
    return reply_text(meaning, clinic, reply_language(recipient.get("language"), text))


async def on_sms_status(
    tracking: TrackingHandlers, sid: str, status: str, error_code: str | None
) -> None:
    outcome = sms_status_outcome(status, error_code)
    if outcome is not None:
        await report_delivery(tracking, sid, outcome)


async def on_email_events(tracking: TrackingHandlers, events: list[dict[str, Any]]) -> int:
    """Each event applied; how many meant something (delivered, complained, bounced)."""
    applied = 0
    for event in events:
        outcome = email_event_outcome(event["type"], str(event.get("bounceType", "")))
        if outcome is not None:
            await report_delivery(tracking, provider_message_key(event["messageId"]), outcome)
            applied += 1
    return applied


async def report_delivery(tracking: TrackingHandlers, pmid: str, outcome: str) -> None:
    now = tracking.clock()
    if not await tracking.delivery_reported(pmid, outcome, now):
        # The callback beat message.sent to us: kept, and applied when that event arrives.
        await tracking.store.keep_unmatched(
            pmid, outcome, {"outcome": outcome, "at": now.isoformat()}
        )


async def on_unsubscribe(tracking: TrackingHandlers, claims: LinkClaims) -> None:
    sent = await tracking.store.contact_by_key(f"sent:{claims.message_id}")
    household = (sent or {}).get("household") or ()
    for response in for_household(unsubscribe_response(claims), household):
        await publish(tracking, response, tracking.clock())


async def on_booking_link(
    tracking: TrackingHandlers, claims: LinkClaims, method: str, headers: Mapping[str, str]
) -> str:
    """A patient's GET records a click; HEAD and known prefetchers only learn where the link
    leads (the clinic's booking page, else the configured fallback), which it answers."""
    if method == "GET":
        if is_prefetch(headers):
            LINK_PREFETCHES.inc()
            log.info("link.prefetched", campaign_id=claims.campaign_id)
        else:
            sent = await tracking.store.contact_by_key(f"sent:{claims.message_id}")
            channel = Channel(sent["channel"]) if sent and sent.get("channel") else None
            household = (sent or {}).get("household") or ()
            for response in for_household(click_response(claims, channel), household):
                await publish(tracking, response, tracking.clock())
    clinic = clinic_of(await tracking.store.launched(claims.clinic_id, claims.campaign_id))
    return (clinic.booking_url if clinic else None) or tracking.settings.fallback_booking_url


async def publish(tracking: TrackingHandlers, response: PublicResponse, at: datetime) -> None:
    await tracking.publisher.publish(
        response_envelope(
            response.kind,
            clinic_id=response.clinic_id,
            campaign_id=response.campaign_id,
            patient_id=response.patient_id,
            at=at,
            dedupe=response.dedupe,
            channel=response.channel,
        )
    )
