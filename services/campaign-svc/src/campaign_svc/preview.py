"""Preview: a campaign's steps rendered with sample data, a real patient's, or both.

A real patient's merge data comes from audience-svc, never from a projection of our own. One
owner per fact: audience-svc already projects every patient from `patient.upserted` and
`appointment.updated`, and builds each message's merge data from that projection
(`audience_svc.domain.messages.patient_merge_data`). campaign-svc used to keep a second
projection (`preview_patients`) with one upsert per event; on FerretDB each is a scanning
read-modify-write, so it fell far behind a large import
(the figures: docs/perf.md), for a read that happens a few times a day. Now the gateway
asks audience-svc for the patient (`GET /patients/{patientId}/merge-data`, which answers the
patient's NotFound) and hands the answer over as `patientMergeData` (services talk to each other
only over Kafka, so campaign-svc does not call audience-svc itself). The preview therefore shows
what that patient's message will say, gaps included: a patient without a completed visit reads
"a while ago" here as in the message sent.

A preview is in one language (`language`, else the patient's `patientLanguage`, else the
campaign's default): each step in its template of that language where it has one, else its
default one, and the opt-out texts as a patient of that language gets them
(`reengage_common.messages.languages`). Each message says which template it shows.
"""

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from campaign_svc.clinic.store import current_profile
from campaign_svc.domain.model import FieldError, InvalidCampaign
from campaign_svc.handlers import find_campaign
from reengage_common.auth import MANAGE_REMINDERS, Identity
from reengage_common.clinic import email_footer
from reengage_common.clinic import merge_data as clinic_merge_data
from reengage_common.error_codes import CampaignErrorCode
from reengage_common.events import MessageTemplate
from reengage_common.messages import (
    MessageLanguages,
    RenderedTooLarge,
    TemplateRefused,
    TemplateRenderFailed,
    compile_step,
    household_merge_data,
    language_of,
    message_languages,
    render_step,
    sample_merge_data,
)

# Until the clinic saves its profile, previews speak for a sample clinic.
SAMPLE_CLINIC_NAME = "Your clinic"
# The most a preview's own values (`sampleData`, and a patient's `patientMergeData`) may take as
# JSON: a patient's every field at its import limit fits many times over, while a value meant
# to be repeated into a huge message does not.
SAMPLE_DATA_MAX_BYTES = 16 * 1024
LANGUAGE_TAG_MAX_LENGTH = 64


async def preview_campaign(
    identity: Identity, campaign_id: str, body: Any, now: datetime
) -> dict[str, Any]:
    """`body`: `sampleData` (the user's values), `patientMergeData` and `patientLanguage` (a
    real patient's, as audience-svc answered them) and `language` (the one to preview in), all
    optional; the user's values win."""
    identity.require(MANAGE_REMINDERS)
    record = await find_campaign(identity, campaign_id)
    request = body if isinstance(body, Mapping) else {}
    language = _language(request, "language") or _language(request, "patientLanguage")
    in_language = language_of(language) or record.definition.default_language
    merge_data = sample_merge_data(
        clinic_name=SAMPLE_CLINIC_NAME,
        now=now,
        incentive=record.definition.incentive,
        language=in_language,
    )
    profile = await current_profile(identity.clinic_id)
    footer = ""
    if profile is not None:
        footer = email_footer(profile)  # as dispatch-svc adds it below each email
        # The clinic's own facts; a part the profile leaves out keeps its sample value.
        known = {name: value for name, value in clinic_merge_data(profile).items() if value}
        _overlay(merge_data, {"clinic": known})
    # The patient's values as sent, None included: the preview shows the fallbacks they get.
    patient = _object(request, "patientMergeData")
    merge_data["patient"] = {**merge_data["patient"], **patient}
    # A real patient's message names them alone unless they share it; with grouping off every
    # message names its own patient, the sample one too.
    if patient or not record.definition.group_households:
        first_name = merge_data["patient"].get("firstName")
        merge_data["household"] = household_merge_data([first_name], in_language)
    _overlay(merge_data, _object(request, "sampleData"))
    definition = record.definition
    steps = sorted(definition.message_templates, key=lambda s: (s.variant, s.sequence))
    messages = [
        _rendered(
            index,
            step,
            message_languages(step, language, definition.default_language),
            merge_data,
            now,
            footer,
        )
        for index, step in enumerate(steps)
    ]
    return {
        "campaignId": record.id,
        # The language part ("es" for es-MX): what templates and wording are chosen by.
        "language": in_language,
        "mergeData": merge_data,
        "messages": messages,
    }


def _language(request: Mapping[str, Any], field: str) -> str | None:
    """A language tag the request names (`es`, `es-MX`), or None; one babel cannot read is
    refused naming the field."""
    value = request.get(field)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > LANGUAGE_TAG_MAX_LENGTH:
        raise InvalidCampaign(
            [FieldError(field, "expected a language tag such as es", CampaignErrorCode.INVALID)]
        )
    if language_of(value) is None:
        message = f"'{value}' is not a language tag such as es or es-MX"
        raise InvalidCampaign([FieldError(field, message, CampaignErrorCode.INVALID)])
    return value


def _object(request: Mapping[str, Any], field: str) -> Mapping[str, Any]:
    value = request.get(field)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidCampaign(
            [FieldError(field, "expected an object", CampaignErrorCode.INVALID_TYPE)]
        )
    size = len(json.dumps(value, ensure_ascii=False, default=str).encode())
    if size > SAMPLE_DATA_MAX_BYTES:
        message = f"must be at most {SAMPLE_DATA_MAX_BYTES:,} bytes as JSON, not {size:,}"
        raise InvalidCampaign([FieldError(field, message, CampaignErrorCode.TOO_LONG)])
    return value


def _rendered(
    index: int,
    step: MessageTemplate,
    languages: MessageLanguages,
    merge_data: dict[str, Any],
    now: datetime,
    footer: str,
) -> dict[str, Any]:
    try:
        rendered = render_step(
            compile_step(step, languages.template),
            merge_data,
            now,
            email_footer=footer,
            locale=languages.template,
            wording_language=languages.wording,
        )
    except RenderedTooLarge as exc:
        problem = FieldError(
            f"messageTemplates.{index}.{exc.part}",
            f"{exc} with this data",
            CampaignErrorCode.RENDERED_TOO_LARGE,
        )
        raise InvalidCampaign([problem]) from exc
    except (TemplateRefused, TemplateRenderFailed) as exc:
        problem = FieldError(
            f"messageTemplates.{index}.body", str(exc), CampaignErrorCode.TEMPLATE_RENDER_FAILED
        )
        raise InvalidCampaign([problem]) from exc
    return {
        "channel": step.channel.value,
        "sequence": step.sequence,
        "variant": step.variant,
        "language": languages.template,
        "subject": rendered.subject,
        "body": rendered.body,
        "html": rendered.html,
        "sms": None
        if rendered.sms is None
        else {
            "encoding": rendered.sms.encoding,
            "characters": rendered.sms.characters,
            "segments": rendered.sms.segments,
        },
    }


def _overlay(base: dict[str, Any], overrides: Mapping[str, Any]) -> None:
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _overlay(base[key], value)
        else:
            base[key] = value
