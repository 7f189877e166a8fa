"""The languages a message is written in.

A campaign step has its template in the campaign's default language and may add one per other
language (`MessageTemplate.translations`). A patient gets the template in their preferred
language (`patient.upserted`'s `preferredLanguage`, travelling as `message.due`'s
`contact.language`) when the step has one, else the default one. What we add around a
message (the SMS opt-out hint, the email's unsubscribe line, a letter's opt-out instructions,
the answers to STOP and HELP) is worded in the patient's language where we speak it, so the
way out is always one the patient reads; otherwise in the template's language.

Tags are read with babel (BCP 47 or POSIX: "es", "es-MX", "es_419", "ES", "spa" all mean
Spanish), and a patient's tag is matched to a step's languages by babel's negotiation.
"""

from dataclasses import dataclass
from functools import lru_cache

from babel import Locale, UnknownLocaleError, negotiate_locale

from reengage_common.events import MessageTemplate

# Every language whose added texts (opt-out, unsubscribe, STOP/HELP answers) exist. A template
# may only be written in one of them, so no patient reads a way out in another language.
SUPPORTED_LANGUAGES: tuple[str, ...] = ("en", "es")
DEFAULT_LANGUAGE = "en"


@lru_cache(maxsize=1024)
def language_of(tag: str | None) -> str | None:
    """The language subtag (lower case) of a BCP 47 or POSIX locale tag; None when the tag
    is missing or names no language babel knows. Cached: a send reads one per message."""
    if not tag or not tag.strip():
        return None
    try:
        return Locale.parse(tag.strip().replace("_", "-"), sep="-").language
    except (ValueError, UnknownLocaleError):
        return None


def is_supported(language: str) -> bool:
    return language in SUPPORTED_LANGUAGES


def language_name(language: str, *, in_language: str = DEFAULT_LANGUAGE) -> str:
    """ "Spanish" (or "español" with `in_language="es"`): how a picker names a language."""
    return Locale.parse(language).get_display_name(in_language) or language


@dataclass(frozen=True)
class MessageLanguages:
    """`template`: the language of the template a patient gets (and of its dates); `wording`:
    the language of the texts added around it (opt-out line, unsubscribe footer)."""

    template: str
    wording: str


def template_languages(step: MessageTemplate, default_language: str) -> list[str]:
    """The languages `step` has a template in, its own (the default language) first."""
    return [default_language, *(t.language for t in step.translations)]


def message_languages(
    step: MessageTemplate, patient_language: str | None, default_language: str
) -> MessageLanguages:
    """Which of the step's templates a patient preferring `patient_language` gets, and the
    language of what is added around it."""
    spoken = language_of(patient_language)
    available = template_languages(step, default_language)
    chosen = _negotiated(spoken, tuple(available)) or default_language
    wording = spoken if spoken is not None and is_supported(spoken) else chosen
    return MessageLanguages(template=chosen, wording=wording)


@lru_cache(maxsize=1024)
def _negotiated(spoken: str | None, available: tuple[str, ...]) -> str | None:
    if spoken is None:
        return None
    return negotiate_locale([spoken], list(available))
