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
    TemplateRenderFailed,
    compile_template,
)


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


def compile_step(step: MessageTemplate) -> CompiledStep:
    """Compile a step's subject (ignored for SMS) and body once, to render for many patients."""
    subject = step.subject if step.channel is not Channel.SMS else None
    return _compile_parts(step.channel, subject or None, step.body)


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
) -> RenderedMessage:
    """The message dispatch sends: `render_step` with this message's signed links merged in,
    and an email's `email_footer` (the sender's postal address) below its text.

    Raises TemplateRefused or TemplateRenderFailed, as `render_step` does.
    """
    merged = {**merge_data, "bookingLink": links.booking, "unsubscribeLink": links.unsubscribe}
    return render_step(
        step, merged, now, currency=currency, locale=locale, email_footer=email_footer
    )


def render_step(
    step: MessageTemplate | CompiledStep,
    merge_data: Mapping[str, Any],
    now: datetime,
    *,
    currency: str = "USD",
    locale: str = "en",
    email_footer: str = "",
) -> RenderedMessage:
    """One patient's message, with the channel's opt-out added and an SMS's size counted.

    Raises TemplateRefused for a template that would not pass validation, and
    TemplateRenderFailed when the merge data cannot fill it.
    """
    compiled = step if isinstance(step, CompiledStep) else compile_step(step)
    body = compiled.body.render(merge_data, now=now, currency=currency, locale=locale)
    if compiled.channel is Channel.SMS:
        body = with_sms_opt_out(body)
        return RenderedMessage(subject=None, body=body, sms=sms_segments(body))
    subject = None
    if compiled.subject is not None:
        rendered = compiled.subject.render(merge_data, now=now, currency=currency, locale=locale)
        # A line break in a subject would let merge data write extra mail headers.
        subject = " ".join(rendered.split())
    unsubscribe_link = merge_data.get("unsubscribeLink")
    try:
        if compiled.channel is Channel.MAIL:
            clinic = merge_data.get("clinic")
            phone = clinic.get("phone") if isinstance(clinic, Mapping) else None
            body = with_mail_opt_out(body, clinic_phone=phone, unsubscribe_link=unsubscribe_link)
            return RenderedMessage(subject=subject, body=body, sms=None)
        body = with_email_unsubscribe(body, unsubscribe_link) + email_footer
    except ValueError as exc:
        raise TemplateRenderFailed(str(exc)) from exc
    clickable = (unsubscribe_link, merge_data.get("bookingLink"))
    return RenderedMessage(
        subject=subject, body=body, sms=None, html=email_html(body, clickable=clickable)
    )
