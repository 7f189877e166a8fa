"""Preview: a campaign's steps rendered with sample data, a real patient's, or both."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from campaign_svc.clinic.store import current_profile
from campaign_svc.domain.model import FieldError, InvalidCampaign
from campaign_svc.handlers import find_campaign
from campaign_svc.store import PreviewPatient
from reengage_common.auth import MANAGE_REMINDERS, Identity
from reengage_common.clinic import merge_data as clinic_merge_data
from reengage_common.error_codes import CampaignErrorCode
from reengage_common.messages import (
    TemplateRefused,
    TemplateRenderFailed,
    render_step,
    sample_merge_data,
)

# Until the clinic saves its profile, previews speak for a sample clinic.
SAMPLE_CLINIC_NAME = "Your clinic"


class PatientNotFound(LookupError):
    def __init__(self, patient_id: str) -> None:
        super().__init__(f"patient {patient_id} not found")


async def preview_campaign(
    identity: Identity, campaign_id: str, body: Any, now: datetime
) -> dict[str, Any]:
    identity.require(MANAGE_REMINDERS)
    record = await find_campaign(identity, campaign_id)
    request = body if isinstance(body, Mapping) else {}
    merge_data = sample_merge_data(
        clinic_name=SAMPLE_CLINIC_NAME, now=now, incentive=record.definition.incentive
    )
    profile = await current_profile(identity.clinic_id)
    if profile is not None:
        # The clinic's own facts; a part the profile leaves out keeps its sample value.
        known = {name: value for name, value in clinic_merge_data(profile).items() if value}
        _overlay(merge_data, {"clinic": known})
    patient_id = request.get("patientId")
    if patient_id is not None:
        _overlay(
            merge_data,
            {"patient": await _patient_merge_data(identity.clinic_id, _readable_id(patient_id))},
        )
    sample_data = request.get("sampleData")
    if sample_data is not None:
        if not isinstance(sample_data, Mapping):
            raise InvalidCampaign(
                [FieldError("sampleData", "expected an object", CampaignErrorCode.INVALID_TYPE)]
            )
        _overlay(merge_data, sample_data)
    steps = sorted(record.definition.message_templates, key=lambda s: (s.variant, s.sequence))
    messages = []
    for index, step in enumerate(steps):
        try:
            rendered = render_step(step, merge_data, now)
        except (TemplateRefused, TemplateRenderFailed) as exc:
            problem = FieldError(
                f"messageTemplates.{index}.body", str(exc), CampaignErrorCode.TEMPLATE_RENDER_FAILED
            )
            raise InvalidCampaign([problem]) from exc
        messages.append(
            {
                "channel": step.channel.value,
                "sequence": step.sequence,
                "variant": step.variant,
                "subject": rendered.subject,
                "body": rendered.body,
                "sms": None
                if rendered.sms is None
                else {
                    "encoding": rendered.sms.encoding,
                    "characters": rendered.sms.characters,
                    "segments": rendered.sms.segments,
                },
            }
        )
    return {"campaignId": record.id, "mergeData": merge_data, "messages": messages}


def _readable_id(patient_id: Any) -> str:
    # A control character (NUL above all) is no patient's id, and PostgreSQL under FerretDB
    # cannot even look it up: the query fails instead of finding nothing.
    if not isinstance(patient_id, str) or not patient_id or not patient_id.isprintable():
        raise InvalidCampaign(
            [
                FieldError(
                    "patientId",
                    "a patient id is a non-empty text of printable characters",
                    CampaignErrorCode.INVALID,
                )
            ]
        )
    return patient_id


async def _patient_merge_data(clinic_id: str, patient_id: str) -> dict[str, Any]:
    patient = await PreviewPatient.find_one({"clinic_id": clinic_id, "patient_id": patient_id})
    if patient is None:
        raise PatientNotFound(patient_id)
    # Fields the clinic's systems have not sent yet keep their sample value.
    known = {
        "firstName": patient.first_name,
        "lastName": patient.last_name,
        "treatmentStage": patient.treatment_stage,
        "lastVisitDate": patient.last_visit_at.date().isoformat()
        if patient.last_visit_at
        else None,
    }
    return {name: value for name, value in known.items() if value is not None}


def _overlay(base: dict[str, Any], overrides: Mapping[str, Any]) -> None:
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _overlay(base[key], value)
        else:
            base[key] = value
