"""What patients and providers tell the public endpoints, as responses and delivery outcomes.

The routes only parse and check signatures; these rules say what a reply, a click, an
unsubscribe or a provider's callback means, and the key that makes a repeat of the same act
publish the same envelope id (so every consumer keeps it once):

    SMS reply STOP / YES / NO    -> UNSUBSCRIBED / INTERESTED / NOT_INTERESTED, once per MessageSid
    SMS reply HELP               -> nothing (answered with the clinic's contact)
    other SMS reply              -> kept as a reply for staff, no response
    unsubscribe button (POST)    -> UNSUBSCRIBED, once per campaign, patient and channel
    booking link opened (GET)    -> CLICKED, once per message (prefetchers and HEAD: nothing)
    any of these on a household message (one message naming several patients who share the
    contact) -> the same response for each patient it named (`for_household`)
    Twilio status delivered      -> delivered; failed/undelivered with a permanent code -> bounced
    email event delivered        -> delivered; complaint -> complained; hard bounce -> bounced
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace

from reengage_common.events import Channel, ResponseKind
from reengage_common.messages import LinkClaims
from tracking_svc.domain.replies import ReplyMeaning, is_permanent_sms_failure

REPLY_RESPONSES = {
    ReplyMeaning.STOP: ResponseKind.UNSUBSCRIBED,
    ReplyMeaning.INTERESTED: ResponseKind.INTERESTED,
    ReplyMeaning.NOT_INTERESTED: ResponseKind.NOT_INTERESTED,
}
EMAIL_OUTCOMES = {"delivered": "delivered", "complaint": "complained"}
HARD_BOUNCES = {"hard", "permanent"}


@dataclass(frozen=True)
class PublicResponse:
    """A `recipient.responded` a public endpoint learned of; `dedupe` decides its envelope id."""

    kind: ResponseKind
    clinic_id: str
    campaign_id: str
    patient_id: str
    dedupe: str
    channel: Channel | None


def reply_response(
    meaning: ReplyMeaning, *, clinic_id: str, campaign_id: str, patient_id: str, message_sid: str
) -> PublicResponse | None:
    """The response an SMS reply gives, or None (HELP, or a free reply kept for staff)."""
    kind = REPLY_RESPONSES.get(meaning)
    if kind is None:
        return None
    return PublicResponse(
        kind, clinic_id, campaign_id, patient_id, f"twilio:{message_sid}", Channel.SMS
    )


def unsubscribe_response(claims: LinkClaims) -> PublicResponse:
    """The patient pressed Unsubscribe (or a mail client's one-click POST): that channel."""
    dedupe = (
        f"unsubscribe:{claims.clinic_id}:{claims.campaign_id}:{claims.patient_id}:{claims.channel}"
    )
    return PublicResponse(
        ResponseKind.UNSUBSCRIBED,
        claims.clinic_id,
        claims.campaign_id,
        claims.patient_id,
        dedupe,
        claims.channel,
    )


def click_response(claims: LinkClaims, channel: Channel | None) -> PublicResponse:
    """A booking link opened by the patient; `channel` is the one its message went by, when
    known. A click stops no sequence and says no "interested" on the patient's behalf."""
    dedupe = f"click:{claims.clinic_id}:{claims.message_id}:{ResponseKind.CLICKED.value}"
    return PublicResponse(
        ResponseKind.CLICKED,
        claims.clinic_id,
        claims.campaign_id,
        claims.patient_id,
        dedupe,
        channel,
    )


def for_household(response: PublicResponse, household: Sequence[str]) -> list[PublicResponse]:
    """The response for each patient a household message named: the contact that clicked,
    replied or unsubscribed speaks for all of them (one STOP stops the contact's messages).
    The patient the link or reply names keeps the response's own key, each other one its own."""
    others = [patient for patient in household if patient != response.patient_id]
    return [
        response,
        *(replace(response, patient_id=p, dedupe=f"{response.dedupe}:{p}") for p in others),
    ]


def sms_status_outcome(status: str, error_code: str | None) -> str | None:
    """A Twilio status callback: "delivered", "bounced" (a number that will never work), or
    None (queued, sent, or a failure worth nothing to the figures)."""
    if status == "delivered":
        return "delivered"
    if is_permanent_sms_failure(status, error_code):
        return "bounced"
    return None


def email_event_outcome(event_type: str, bounce_type: str) -> str | None:
    """An email provider's event: "delivered", "complained", "bounced" (a hard bounce), or None
    (a soft bounce: the provider retries)."""
    if event_type == "bounce" and bounce_type.lower() in HARD_BOUNCES:
        return "bounced"
    return EMAIL_OUTCOMES.get(event_type)
