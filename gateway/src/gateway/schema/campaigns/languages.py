"""The languages campaign messages are written in (the editor's choices), and a step's
templates in other languages than its campaign's default one."""

import strawberry
from strawberry import UNSET

from gateway.schema.permissions import VIEW
from reengage_common.messages import DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES, language_name


@strawberry.type(description="A language a step's template may be written in.")
class MessageLanguage:
    code: str = strawberry.field(description="As templates name it: en, es")
    name: str = strawberry.field(description="In English: Spanish")
    native_name: str = strawberry.field(description="In itself: español")
    is_default: bool = strawberry.field(description="A new campaign's default language")


@strawberry.type
class LanguageQueries:
    @strawberry.field(
        permission_classes=VIEW,
        description="The languages templates may be written in: their opt-out and STOP texts "
        "exist in each.",
    )
    def message_languages(self) -> list[MessageLanguage] | None:
        return [
            MessageLanguage(
                code=code,
                name=language_name(code),
                native_name=language_name(code, in_language=code),
                is_default=code == DEFAULT_LANGUAGE,
            )
            for code in SUPPORTED_LANGUAGES
        ]


@strawberry.type(description="A step's template in another language than the campaign's default.")
class TemplateTranslation:
    language: str = strawberry.field(description="en or es (messageLanguages)")
    subject: str | None
    body: str


@strawberry.input(description="A step's template in another language than the campaign's default.")
class TemplateTranslationInput:
    language: str = strawberry.field(description="en or es (messageLanguages)")
    body: str
    subject: str | None = UNSET
