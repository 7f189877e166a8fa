"""Message rendering shared by campaign-svc (validation, preview) and dispatch-svc (sending).

One implementation of the template sandbox, merge fields, opt-out text, SMS sizing and signed
links, so what a clinic previews is exactly what a patient receives.
"""

from reengage_common.messages.households import household_merge_data
from reengage_common.messages.languages import (
    DEFAULT_LANGUAGE,
    SUPPORTED_LANGUAGES,
    MessageLanguages,
    language_name,
    language_of,
    message_languages,
    template_languages,
)
from reengage_common.messages.links import (
    BOOKING_CLICK,
    LINK_MAX_AGE,
    UNSUBSCRIBE,
    BadLinkToken,
    LinkClaims,
    LinkPurpose,
    booking_link,
    make_link_token,
    read_link_token,
    unsubscribe_link,
)
from reengage_common.messages.merge_fields import (
    KNOWN_MERGE_FIELDS,
    MAY_BE_MISSING,
    sample_merge_data,
    sparse_merge_data,
)
from reengage_common.messages.opt_out import SMS_OPT_OUT
from reengage_common.messages.rendering import (
    CompiledStep,
    MessageLinks,
    RenderedMessage,
    compile_step,
    render_message,
    render_step,
    rendered_limit,
)
from reengage_common.messages.sms import SmsSize, sms_segments
from reengage_common.messages.templates import (
    CompiledTemplate,
    RenderedTooLarge,
    TemplateRefused,
    TemplateRenderFailed,
    compile_template,
    template_problems,
)

__all__ = [
    "BOOKING_CLICK",
    "DEFAULT_LANGUAGE",
    "KNOWN_MERGE_FIELDS",
    "LINK_MAX_AGE",
    "MAY_BE_MISSING",
    "SMS_OPT_OUT",
    "SUPPORTED_LANGUAGES",
    "UNSUBSCRIBE",
    "BadLinkToken",
    "CompiledStep",
    "CompiledTemplate",
    "LinkClaims",
    "LinkPurpose",
    "MessageLanguages",
    "MessageLinks",
    "RenderedMessage",
    "RenderedTooLarge",
    "SmsSize",
    "TemplateRefused",
    "TemplateRenderFailed",
    "booking_link",
    "compile_step",
    "compile_template",
    "household_merge_data",
    "language_name",
    "language_of",
    "make_link_token",
    "message_languages",
    "read_link_token",
    "render_message",
    "render_step",
    "rendered_limit",
    "sample_merge_data",
    "sms_segments",
    "sparse_merge_data",
    "template_languages",
    "template_problems",
    "unsubscribe_link",
]
