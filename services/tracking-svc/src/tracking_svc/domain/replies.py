"""Inbound SMS and provider callbacks in the clinic's words: what a reply means, and which
provider errors say an address will never work. Twilio's request signature, as documented."""

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable
from enum import StrEnum
from xml.sax.saxutils import escape

from reengage_common.events import ClinicProfile

STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
HELP_WORDS = {"HELP", "INFO"}
YES_WORDS = {"YES", "Y", "YEP", "YEAH", "SURE", "OK", "OKAY", "BOOK"}
NO_WORDS = {"NO", "N", "NOPE", "NOT INTERESTED"}
# "Can I book for Tuesday?", "I'd like an appointment": the patient asks to come in.
ASKS_TO_BOOK = re.compile(r"\b(book|booking|appointment|appt|schedule|reschedule)\b", re.I)

# Twilio error codes that mean the number will not work, ever (not a busy network).
PERMANENT_SMS_ERRORS = {"21211", "21610", "21612", "21614", "30003", "30004", "30005", "30006"}


class ReplyMeaning(StrEnum):
    STOP = "STOP"
    HELP = "HELP"
    INTERESTED = "INTERESTED"
    NOT_INTERESTED = "NOT_INTERESTED"
    OTHER = "OTHER"


def meaning_of(body: str) -> ReplyMeaning:
    words = " ".join(body.strip().upper().rstrip(".!").split())
    if words in STOP_WORDS:
        return ReplyMeaning.STOP
    if words in HELP_WORDS:
        return ReplyMeaning.HELP
    if words in YES_WORDS:
        return ReplyMeaning.INTERESTED
    if words in NO_WORDS:
        return ReplyMeaning.NOT_INTERESTED
    if ASKS_TO_BOOK.search(body):
        return ReplyMeaning.INTERESTED
    return ReplyMeaning.OTHER


def is_permanent_sms_failure(status: str, error_code: str | None) -> bool:
    return status in {"undelivered", "failed"} and (error_code or "") in PERMANENT_SMS_ERRORS


def reply_text(meaning: ReplyMeaning, clinic: ClinicProfile | None) -> str | None:
    """What we text back, if anything."""
    name = clinic.name if clinic else "Your dental clinic"
    if meaning is ReplyMeaning.STOP:
        return f"{name}: you are unsubscribed and will receive no more messages. Reply START to resubscribe."
    if meaning is ReplyMeaning.HELP:
        contact = [
            part
            for part in (
                clinic.phone if clinic else None,
                clinic.email if clinic else None,
                clinic.booking_url if clinic else None,
            )
            if part
        ]
        how = ", ".join(contact) or "your clinic"
        return f"{name}: reach us at {how}. Reply STOP to opt out."
    if meaning is ReplyMeaning.INTERESTED:
        where = clinic.booking_url if clinic and clinic.booking_url else None
        if where:
            return f"{name}: thank you! Book your visit at {where}"
        return f"{name}: thank you! We will call you to book your visit."
    return None


def twiml(message: str | None) -> str:
    if message is None:
        return '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<Response><Message>{escape(message)}</Message></Response>"
    )


def twilio_signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """base64(HMAC-SHA1(auth token, full URL + every name+value sorted by name))."""
    payload = url + "".join(name + value for name, value in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def signature_matches(
    auth_token: str, url: str, params: Iterable[tuple[str, str]], given: str | None
) -> bool:
    if not given or not auth_token:
        return False
    expected = twilio_signature(auth_token, url, params)
    return hmac.compare_digest(expected.encode(), given.encode())


def provider_message_key(provider_message_id: str) -> str:
    """One key for a provider's message id however it is written: an email's is its Message-ID
    header, which dispatch reports as `<id@host>` and email providers' webhooks send with or
    without the angle brackets (a Twilio SID has none)."""
    return provider_message_id.strip().strip("<>")
