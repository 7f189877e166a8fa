"""Inbound SMS and provider callbacks in the clinic's words: what a reply means, and which
provider errors say an address will never work. Twilio's request signature, as documented."""

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from xml.sax.saxutils import escape

from reengage_common.events import ClinicProfile
from reengage_common.messages import DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES, language_of

# Spanish words beside the English ones: a patient answers in their own language (and the
# Spanish messages' opt-out hint says "Responda STOP", which the English words catch).
SPANISH_STOP_WORDS = {"PARAR", "ALTO", "BAJA", "CANCELAR", "DETENER"}
SPANISH_HELP_WORDS = {"AYUDA"}
SPANISH_YES_WORDS = {"SI", "SÍ", "CLARO", "RESERVAR"}
STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
STOP_WORDS |= SPANISH_STOP_WORDS
HELP_WORDS = {"HELP", "INFO"} | SPANISH_HELP_WORDS
YES_WORDS = {"YES", "Y", "YEP", "YEAH", "SURE", "OK", "OKAY", "BOOK"} | SPANISH_YES_WORDS
NO_WORDS = {"NO", "N", "NOPE", "NOT INTERESTED", "NO GRACIAS"}
_SPANISH_WORDS = SPANISH_STOP_WORDS | SPANISH_HELP_WORDS | SPANISH_YES_WORDS | {"NO GRACIAS"}
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


def _words(body: str) -> str:
    return " ".join(body.strip().upper().rstrip(".!").split())


def meaning_of(body: str) -> ReplyMeaning:
    words = _words(body)
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


@dataclass(frozen=True)
class ReplyWording:
    """Our answers in one language; `{name}` is the clinic's, `{how}` and `{where}` its ways."""

    unknown_clinic: str
    stopped: str
    help: str
    no_contact: str
    book_at: str
    will_call: str


WORDING: dict[str, ReplyWording] = {
    "en": ReplyWording(
        unknown_clinic="Your dental clinic",
        stopped="{name}: you are unsubscribed and will receive no more messages. Reply START "
        "to resubscribe.",
        help="{name}: reach us at {how}. Reply STOP to opt out.",
        no_contact="your clinic",
        book_at="{name}: thank you! Book your visit at {where}",
        will_call="{name}: thank you! We will call you to book your visit.",
    ),
    "es": ReplyWording(
        unknown_clinic="Su clínica dental",
        stopped="{name}: se ha dado de baja y no recibirá más mensajes. Responda START para "
        "volver a suscribirse.",
        help="{name}: contáctenos en {how}. Responda STOP para darse de baja.",
        no_contact="su clínica",
        book_at="{name}: ¡gracias! Reserve su visita en {where}",
        will_call="{name}: ¡gracias! Le llamaremos para reservar su visita.",
    ),
}


def reply_language(patient_language: str | None, body: str) -> str:
    """The language we answer in: the patient's (their message.due's `contact.language`)
    where we word answers in it; else Spanish for a Spanish keyword; else English."""
    spoken = language_of(patient_language)
    if spoken in SUPPORTED_LANGUAGES:
        return spoken
    return "es" if _words(body) in _SPANISH_WORDS else DEFAULT_LANGUAGE


def reply_text(
    meaning: ReplyMeaning, clinic: ClinicProfile | None, language: str = DEFAULT_LANGUAGE
) -> str | None:
    """What we text back, if anything, in `language`."""
    words = WORDING.get(language) or WORDING[DEFAULT_LANGUAGE]
    name = clinic.name if clinic else words.unknown_clinic
    if meaning is ReplyMeaning.STOP:
        return words.stopped.format(name=name)
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
        return words.help.format(name=name, how=", ".join(contact) or words.no_contact)
    if meaning is ReplyMeaning.INTERESTED:
        where = clinic.booking_url if clinic and clinic.booking_url else None
        if where:
            return words.book_at.format(name=name, where=where)
        return words.will_call.format(name=name)
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
