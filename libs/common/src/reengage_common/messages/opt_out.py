"""The way out every message must carry, added when the clinic's text lacks it."""

import re

SMS_OPT_OUT = "Reply STOP to opt out"

_SMS_OPT_OUT_PRESENT = re.compile(r"\breply\s+stop\b", re.IGNORECASE)
_MAIL_OPT_OUT_PRESENT = re.compile(r"stop receiving|opt[\s-]?out|unsubscribe", re.IGNORECASE)


def with_sms_opt_out(body: str) -> str:
    """`body` ending with "Reply STOP to opt out", unless it already says "reply stop"."""
    if _SMS_OPT_OUT_PRESENT.search(body):
        return body
    text = body.rstrip()
    return f"{text}\n{SMS_OPT_OUT}" if text else SMS_OPT_OUT


def with_mail_opt_out(body: str, *, clinic_phone: str | None, unsubscribe_link: str | None) -> str:
    """`body` with instructions to stop receiving mail, unless it already gives some.

    Raises ValueError when neither a phone number nor a link is known: a letter must offer a
    way out that works.
    """
    if _MAIL_OPT_OUT_PRESENT.search(body):
        return body
    ways = [
        *([f"visit {unsubscribe_link}"] if unsubscribe_link else []),
        *([f"call us at {clinic_phone}"] if clinic_phone else []),
    ]
    if not ways:
        raise ValueError("a letter needs clinic.phone or unsubscribeLink for its opt-out line")
    return f"{body.rstrip()}\n\nTo stop receiving mail from us, {' or '.join(ways)}."


def with_email_unsubscribe(body: str, unsubscribe_link: str | None) -> str:
    """`body` with an unsubscribe footer, unless the clinic's text already shows the link.

    Raises ValueError without a link: every email must carry one.
    """
    if not unsubscribe_link:
        raise ValueError("every email needs an unsubscribeLink")
    if unsubscribe_link in body:
        return body
    return (
        f"{body.rstrip()}\n\nTo stop receiving these emails, unsubscribe here: {unsubscribe_link}"
    )
