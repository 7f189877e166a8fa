"""The rules a campaign's message templates meet when it is saved or launched.

A template compiles in the sandbox, uses only known merge fields (`incentive.*` only with an
incentive), and renders within its part's size limit (`rendered_limit`) twice: with full sample data, and with sparse sample data in which
every value a real patient may lack is missing (no completed visit, no name, no stage; no
clinic phone or address). What passes here renders for every patient at send time, so no
message is found unrenderable while it goes out. A step's templates in other languages
(`translations`) meet the same rules, rendered in their own language (its dates and amounts).
"""

from collections.abc import Iterator
from datetime import datetime

from campaign_svc.domain.model import CampaignInput, FieldError
from reengage_common.error_codes import CampaignErrorCode as Code
from reengage_common.events import Channel, ChannelFallback, MessageTemplate
from reengage_common.messages import (
    DEFAULT_LANGUAGE,
    MAY_BE_MISSING,
    SUPPORTED_LANGUAGES,
    CompiledTemplate,
    RenderedTooLarge,
    TemplateRenderFailed,
    compile_template,
    rendered_limit,
    sample_merge_data,
    sparse_merge_data,
    template_problems,
)

TEMPLATE_MAX_LENGTH = 20_000
_SAMPLE_CLINIC = "Sample Dental"


def template_errors(campaign: CampaignInput, now: datetime) -> Iterator[FieldError]:
    """Every problem of every templated part, each at its path (`messageTemplates.0.body`,
    `messageTemplates.0.translations.1.subject`)."""
    for index, step in enumerate(campaign.message_templates):
        for at, part, source, locale in _templated_parts(step, campaign.default_language):
            path = f"messageTemplates.{index}.{at}{part}"
            limit = rendered_limit(step.channel, part)
            yield from _part_errors(campaign, path, source, limit, now, locale)


def fallback_template_errors(
    campaign: CampaignInput, rule: ChannelFallback, path: str, now: datetime
) -> Iterator[FieldError]:
    """A channel fallback's template, by the same rules as a step's, in the default language."""
    locale = _locale(campaign.default_language)
    for _, part, source, _ in _parts("", rule.to, rule.subject, rule.body, locale):
        yield from _part_errors(
            campaign, f"{path}.{part}", source, rendered_limit(rule.to, part), now, locale
        )


def _part_errors(
    campaign: CampaignInput, path: str, source: str, limit: int, now: datetime, locale: str
) -> Iterator[FieldError]:
    if len(source) > TEMPLATE_MAX_LENGTH:
        yield FieldError(path, f"must be at most {TEMPLATE_MAX_LENGTH} characters", Code.TOO_LONG)
        return
    problems = template_problems(source)
    yield from (FieldError(path, str(p), Code.INVALID_TEMPLATE) for p in problems)
    if problems:
        return
    compiled = compile_template(source)
    if not campaign.incentive.has_incentive:
        for field in sorted(compiled.merge_fields):
            if field.startswith("incentive."):
                yield FieldError(
                    path,
                    f"uses {field}, but the campaign has no incentive",
                    Code.NOT_ALLOWED_MERGE_FIELD,
                )
    yield from _render_errors(campaign, path, compiled, limit, now, locale)


def _render_errors(
    campaign: CampaignInput,
    path: str,
    compiled: CompiledTemplate,
    limit: int,
    now: datetime,
    locale: str,
) -> Iterator[FieldError]:
    full = sample_merge_data(clinic_name=_SAMPLE_CLINIC, now=now, incentive=campaign.incentive)
    try:
        compiled.render(full, now=now, limit=limit, locale=locale)
    except RenderedTooLarge:
        yield FieldError(
            path,
            f"renders to more than {limit:,} characters with sample data; shorten the "
            "template or what it repeats",
            Code.RENDERED_TOO_LARGE,
        )
        return
    except TemplateRenderFailed as exc:
        yield FieldError(path, f"fails with sample data: {exc}", Code.TEMPLATE_RENDER_FAILED)
        return
    sparse = sparse_merge_data(clinic_name=_SAMPLE_CLINIC, now=now, incentive=campaign.incentive)
    try:
        compiled.render(sparse, now=now, limit=limit, locale=locale)
    except TemplateRenderFailed as exc:
        lacking = ", ".join(sorted(compiled.merge_fields & MAY_BE_MISSING))
        yield FieldError(
            path,
            f"fails for a patient without {lacking} ({exc}); such values can be missing: "
            "give them a default, e.g. {{ patient.firstName | default('there') }}",
            Code.FAILS_FOR_MISSING_VALUE,
        )


def _templated_parts(
    step: MessageTemplate, default_language: str
) -> Iterator[tuple[str, str, str, str]]:
    """(path prefix, part, template, locale) of the step's own template and its translations.
    A translation `language_rules` refuses (its language unsupported, the default one or
    given twice) is not checked: refused anyway, and so a step never costs more renders
    than it has supported languages, however many translations a request lists."""
    yield from _parts("", step.channel, step.subject, step.body, _locale(default_language))
    checked = {default_language}
    for index, translation in enumerate(step.translations):
        language = translation.language
        if language not in SUPPORTED_LANGUAGES or language in checked:
            continue
        checked.add(language)
        prefix = f"translations.{index}."
        yield from _parts(prefix, step.channel, translation.subject, translation.body, language)


def _parts(
    prefix: str, channel: Channel, subject: str | None, body: str, locale: str
) -> Iterator[tuple[str, str, str, str]]:
    # An SMS has no subject: whatever is stored there is never rendered, so never checked.
    if subject and channel is not Channel.SMS:
        yield prefix, "subject", subject, locale
    yield prefix, "body", body, locale


def _locale(language: str) -> str:
    # An unsupported default language (refused by `language_rules`) renders in the default's.
    return language if language in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE
