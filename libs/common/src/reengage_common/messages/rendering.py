"""One patient's message from a campaign step: the same rules for preview and for sending."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from reengage_common.events import Channel, MessageTemplate
from reengage_common.messages.email_html import email_html
from reengage_common.messages.opt_out import (
    with_email_unsubscribe,
    with_mail_opt_out,
    with_sms_opt_out,
)
from reengage_common.messages.sms import SmsSize, sms_segments
from reengage_common.messages.templates import (
    CompiledTemplate,
    RenderedTooLarge,
    TemplateRenderFailed,
    compile_template,
)

# The most a rendered part may be, in characters, opt-out text and footer included. Each is
# what the medium carries comfortably: one RFC 5322 header line (998) for a subject; 100 kB of
# email text (well under what providers accept, far over any real recall message); ten
# concatenated SMS segments; a letter of a few pages. Rendering stops at the limit (see
# `CompiledTemplate.render`), so an oversized message is refused without being built.
SUBJECT_MAX_CHARS = 998
BODY_MAX_CHARS: dict[Channel, int] = {
    Channel.EMAIL: 100_000,
    Channel.SMS: 1_600,
    Channel.MAIL: 20_000,
}
# A subject's line breaks and runs of spaces are folded after rendering, so its raw text may be
# somewhat longer than the folded one that is checked.
_SUBJECT_RAW_MAX_CHARS = 4 * SUBJECT_MAX_CHARS


def rendered_limit(channel: Channel, part: str) -> int:
    """The most characters `part` ("subject" or "body") of a `channel` message may render to."""
    return SUBJECT_MAX_CHARS if part == "subject" else BODY_MAX_CHARS[channel]


@dataclass(frozen=True)
class CompiledStep:
    channel: Channel
    subject: CompiledTemplate | None
    body: CompiledTemplate


@dataclass(frozen=True)
class MessageLinks:
    """The signed links of one message (see `links.py`), filled in as merge fields."""

    unsubscribe: str
    booking: str


@dataclass(frozen=True)
class RenderedMessage:
    """`body` is the email's text part, the SMS or the letter; `html` is the email's HTML part."""

    subject: str | None
    body: str
    sms: SmsSize | None
    html: str | None = None


def compile_step(step: MessageTemplate, language: str | None = None) -> CompiledStep:
    """Compile a step's subject (ignored for SMS) and body once, to render for many patients:
    its template in `language` where it has one (`translations`), else its own."""
    subject, body = step.subject, step.body
    for translation in step.translations if language is not None else ():
        if translation.language == language:
            subject, body = translation.subject, translation.body
            break
    subject = subject if step.channel is not Channel.SMS else None
    return _compile_parts(step.channel, subject or None, body)


# Keyed by the step's text, so every campaign sharing a template shares its compiled form.
@lru_cache(maxsize=2048)
def _compile_parts(channel: Channel, subject: str | None, body: str) -> CompiledStep:
    return CompiledStep(
        channel, compile_template(subject) if subject else None, compile_template(body)
    )


def render_message(
    step: MessageTemplate | CompiledStep,
    merge_data: Mapping[str, Any],
    links: MessageLinks,
    *,
    now: datetime,
    currency: str = "USD",
    locale: str = "en",
    email_footer: str = "",
    wording_language: str | None = None,
) -> RenderedMessage:
    """The message dispatch sends: `render_step` with this message's signed links merged in,
    and an email's `email_footer` (the sender's postal address) below its text.

    Raises TemplateRefused or TemplateRenderFailed, as `render_step` does.
    """
    merged = {**merge_data, "bookingLink": links.booking, "unsubscribeLink": links.unsubscribe}
    return render_step(
        step,
        merged,
        now,
        currency=currency,
        locale=locale,
        email_footer=email_footer,
        wording_language=wording_language,
    )


def render_step(
    step: MessageTemplate | CompiledStep,
    merge_data: Mapping[str, Any],
    now: datetime,
    *,
    currency: str = "USD",
    locale: str = "en",
    email_footer: str = "",
    wording_language: str | None = None,
) -> RenderedMessage:
    """One patient's message, with the channel's opt-out added and an SMS's size counted.

    `locale` is the template's language (its dates and amounts); `wording_language` that of
    the opt-out texts added (`languages.MessageLanguages.wording`), `locale` when None.

    Raises TemplateRefused for a template that would not pass validation,
    TemplateRenderFailed when the merge data cannot fill it, and RenderedTooLarge (one of
    those) when a part would pass `rendered_limit`.
    """
    compiled = step if isinstance(step, CompiledStep) else compile_step(step, locale)
    wording = wording_language or locale
    limit = BODY_MAX_CHARS[compiled.channel]
    body = _rendered(compiled.body, "body", limit, merge_data, now, currency, locale)
    if compiled.channel is Channel.SMS:
        body = _within(with_sms_opt_out(body, wording), "body", limit)
        return RenderedMessage(subject=None, body=body, sms=sms_segments(body))
    subject = None
    if compiled.subject is not None:
        rendered = _rendered(
            compiled.subject, "subject", _SUBJECT_RAW_MAX_CHARS, merge_data, now, currency, locale
        )
        # A line break in a subject would let merge data write extra mail headers.
        subject = _within(" ".join(rendered.split()), "subject", SUBJECT_MAX_CHARS)
    unsubscribe_link = merge_data.get("unsubscribeLink")
    try:
        if compiled.channel is Channel.MAIL:
            clinic = merge_data.get("clinic")
            phone = clinic.get("phone") if isinstance(clinic, Mapping) else None
            body = with_mail_opt_out(
                body, clinic_phone=phone, unsubscribe_link=unsubscribe_link, language=wording
            )
            return RenderedMessage(subject=subject, body=_within(body, "body", limit), sms=None)
        body = with_email_unsubscribe(body, unsubscribe_link, wording) + email_footer
    except ValueError as exc:
        raise TemplateRenderFailed(str(exc)) from exc
    body = _within(body, "body", limit)
    clickable = (unsubscribe_link, merge_data.get("bookingLink"))
    return RenderedMessage(
        subject=subject,
        body=body,
        sms=None,
        html=email_html(body, clickable=clickable, language=locale),
    )


def _rendered(
    template: CompiledTemplate,
    part: str,
    limit: int,
    merge_data: Mapping[str, Any],
    now: datetime,
    currency: str,
    locale: str,
) -> str:
    try:
        return template.render(merge_data, now=now, currency=currency, locale=locale, limit=limit)
    except RenderedTooLarge as exc:
        # A subject is streamed to a raw ceiling but promised (and reported) folded.
        shown = SUBJECT_MAX_CHARS if part == "subject" else limit
        raise RenderedTooLarge(shown, part) from exc


def _within(text: str, part: str, limit: int) -> str:
    """`text`, unless the opt-out, footer or folding took it past the part's limit."""
    if len(text) > limit:
        raise RenderedTooLarge(limit, part)
    return text
