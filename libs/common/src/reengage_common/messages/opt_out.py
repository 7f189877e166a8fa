"""The way out every message must carry, added when the clinic's text lacks it, worded in the
patient's language (`languages.py` says which; English where a language has no wording)."""

import re
from dataclasses import dataclass

from reengage_common.messages.languages import DEFAULT_LANGUAGE


@dataclass(frozen=True)
class OptOutWording:
    """One language's added texts. STOP stays STOP in every language: it is the keyword
    carriers and our inbound webhook act on."""

    sms: str
    email: str  # "{link}" is the unsubscribe link
    mail: str  # "{ways}" are the ways below, joined by `mail_or`
    mail_visit: str
    mail_call: str
    mail_or: str


WORDING: dict[str, OptOutWording] = {
    "en": OptOutWording(
        sms="Reply STOP to opt out",
        email="To stop receiving these emails, unsubscribe here: {link}",
        mail="To stop receiving mail from us, {ways}.",
        mail_visit="visit {link}",
        mail_call="call us at {phone}",
        mail_or=" or ",
    ),
    # GSM-7 only (no á, í, ó, ú): the hint must not turn a Spanish SMS into UCS-2 by itself.
    "es": OptOutWording(
        sms="Responda STOP para darse de baja",
        email="Para dejar de recibir estos correos, cancele su suscripción aquí: {link}",
        mail="Para dejar de recibir nuestras cartas, {ways}.",
        mail_visit="visite {link}",
        mail_call="llámenos al {phone}",
        mail_or=" o ",
    ),
}
SMS_OPT_OUT = WORDING[DEFAULT_LANGUAGE].sms

# A clinic's own text may already give the way out, in any language we word it in.
_SMS_OPT_OUT_PRESENT = re.compile(r"\b(reply|responda|responde)\s+stop\b", re.IGNORECASE)
_MAIL_OPT_OUT_PRESENT = re.compile(
    r"stop receiving|opt[\s-]?out|unsubscribe|dejar de recibir|darse de baja", re.IGNORECASE
)


def wording(language: str) -> OptOutWording:
    return WORDING.get(language) or WORDING[DEFAULT_LANGUAGE]


def with_sms_opt_out(body: str, language: str = DEFAULT_LANGUAGE) -> str:
    """`body` ending with "Reply STOP to opt out" (in `language`), unless it already says
    "reply stop" in a language we word it in."""
    if _SMS_OPT_OUT_PRESENT.search(body):
        return body
    hint = wording(language).sms
    text = body.rstrip()
    return f"{text}\n{hint}" if text else hint


def with_mail_opt_out(
    body: str,
    *,
    clinic_phone: str | None,
    unsubscribe_link: str | None,
    language: str = DEFAULT_LANGUAGE,
) -> str:
    """`body` with instructions to stop receiving mail, unless it already gives some.

    Raises ValueError when neither a phone number nor a link is known: a letter must offer a
    way out that works.
    """
    if _MAIL_OPT_OUT_PRESENT.search(body):
        return body
    words = wording(language)
    ways = [
        *([words.mail_visit.format(link=unsubscribe_link)] if unsubscribe_link else []),
        *([words.mail_call.format(phone=clinic_phone)] if clinic_phone else []),
    ]
    if not ways:
        raise ValueError("a letter needs clinic.phone or unsubscribeLink for its opt-out line")
    return f"{body.rstrip()}\n\n{words.mail.format(ways=words.mail_or.join(ways))}"


def with_email_unsubscribe(
    body: str, unsubscribe_link: str | None, language: str = DEFAULT_LANGUAGE
) -> str:
    """`body` with an unsubscribe footer, unless the clinic's text already shows the link.

    Raises ValueError without a link: every email must carry one.
    """
    if not unsubscribe_link:
        raise ValueError("every email needs an unsubscribeLink")
    if unsubscribe_link in body:
        return body
    return f"{body.rstrip()}\n\n{wording(language).email.format(link=unsubscribe_link)}"
