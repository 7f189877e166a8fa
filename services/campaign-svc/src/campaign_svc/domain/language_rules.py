"""The rules a campaign's languages meet when it is saved or launched.

Each step's own subject and body are in the campaign's `defaultLanguage`; a step may add one
template per other supported language (`translations`). A language must be one messages are
written in (`SUPPORTED_LANGUAGES`: its opt-out and STOP texts exist), so no patient reads a way
out in a language we cannot word. The templates' own checks (sandbox, merge fields, rendering)
are `template_rules`'.
"""

from collections.abc import Iterator

from campaign_svc.domain.model import CampaignInput, FieldError
from reengage_common.error_codes import CampaignErrorCode as Code
from reengage_common.events import Channel, MessageTemplate
from reengage_common.messages import SUPPORTED_LANGUAGES, language_name

_SUPPORTED = ", ".join(f"{code} ({language_name(code)})" for code in SUPPORTED_LANGUAGES)


def language_errors(campaign: CampaignInput) -> Iterator[FieldError]:
    """The default language's and every step translation's problems, each at its path."""
    default = campaign.default_language
    if default not in SUPPORTED_LANGUAGES:
        yield FieldError("defaultLanguage", _unsupported(default), Code.UNSUPPORTED_LANGUAGE)
    for index, step in enumerate(campaign.message_templates):
        yield from _translation_errors(f"messageTemplates.{index}", step, default)


def _translation_errors(path: str, step: MessageTemplate, default: str) -> Iterator[FieldError]:
    seen: set[str] = set()
    for index, translation in enumerate(step.translations):
        at = f"{path}.translations.{index}"
        language = translation.language
        if language not in SUPPORTED_LANGUAGES:
            yield FieldError(f"{at}.language", _unsupported(language), Code.UNSUPPORTED_LANGUAGE)
        elif language == default:
            yield FieldError(
                f"{at}.language",
                f"the step's own template is already in {language_name(language)}, the "
                "campaign's default language",
                Code.DUPLICATE,
            )
        elif language in seen:
            yield FieldError(
                f"{at}.language",
                f"the step has a {language_name(language)} template already",
                Code.DUPLICATE,
            )
        seen.add(language)
        if step.channel is Channel.EMAIL and not (translation.subject or "").strip():
            yield FieldError(f"{at}.subject", "an email needs a subject", Code.REQUIRED)
        if not translation.body.strip():
            yield FieldError(f"{at}.body", "a message needs a body", Code.REQUIRED)


def _unsupported(language: str) -> str:
    shown = language[:20]
    return f"'{shown}' is not a language messages are written in (supported: {_SUPPORTED})"
