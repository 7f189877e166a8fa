"""campaign-svc, audience-svc and the gateway in front of a dispatch stack, for tests that go
from a campaign saved through the API to the messages dispatch sends."""

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
from kit import FakeClock, free_port

from audience_svc.app import create_app as audience_app
from audience_svc.config import AudienceSettings
from campaign_svc.app import create_app as campaign_app
from campaign_svc.config import CampaignSettings
from gateway.app import create_app as gateway_app
from reengage_common.auth import generate_signing_key, issue_token
from reengage_common.events import AppointmentUpdated, PatientUpserted
from reengage_common.settings import Settings
from reengage_testing import COMPLETE_CLINIC_PROFILE, serving

KEY = generate_signing_key()


def admin_headers(clinic: str) -> dict[str, str]:
    """A clinic admin's bearer token for the gateway and the services."""
    token = issue_token(KEY, user_id="u-admin", clinic_id=clinic, role="clinic_admin")
    return {"authorization": f"Bearer {token}"}


@contextlib.asynccontextmanager
async def front_office(
    dispatch_settings: Any, clock: FakeClock, clinic: str
) -> AsyncIterator[httpx.AsyncClient]:
    """campaign-svc, audience-svc and the gateway on dispatch's topics and databases and its
    clock; the clinic has a complete profile. Answers the gateway."""
    shared = {
        "kafka_topic_prefix": dispatch_settings.kafka_topic_prefix,
        "mongo_db_prefix": dispatch_settings.mongo_db_prefix,
        "jwt_public_key": KEY.public_pem,
    }
    campaign_settings = CampaignSettings(
        service="campaign-svc", scheduler_interval_seconds=0.1, **shared
    )
    audience_settings = AudienceSettings(
        service="audience-svc", compact_interval_seconds=0.1, **shared
    )
    # tracking- and dispatch-svc are not asked: nothing listens at their URLs
    gateway_settings = Settings(
        service="gateway",
        tracking_svc_url=f"http://127.0.0.1:{free_port()}",
        dispatch_svc_url=f"http://127.0.0.1:{free_port()}",
        **shared,
    )
    async with (
        serving(campaign_app(campaign_settings, clock=clock)) as campaign,
        serving(audience_app(audience_settings, clock=clock)) as audience,
    ):
        profile = await campaign.put(
            "/clinic", json=COMPLETE_CLINIC_PROFILE, headers=admin_headers(clinic)
        )
        assert profile.status_code == 200, profile.text
        transports = {"campaign-svc": campaign._transport, "audience-svc": audience._transport}
        async with serving(gateway_app(gateway_settings, transports)) as gateway:
            yield gateway


def adult_patient(patient_id: str, first_name: str, phone: str) -> PatientUpserted:
    """An adult of the clinic's zone with an email and a phone, consenting to both."""
    return PatientUpserted.model_validate(
        {
            "patientId": patient_id,
            "firstName": first_name,
            "email": f"{patient_id}@patients.example",
            "phone": phone,
            "consents": {"email": True, "sms": True},
            "timezone": "America/Chicago",
            "createdAt": "2019-03-01T10:00:00Z",
        }
    )


def seen_400_days_ago(patient_id: str, clock: FakeClock) -> AppointmentUpdated:
    """The patient's last completed visit, long enough ago to be targeted."""
    return AppointmentUpdated(
        appointment_id=f"a-{patient_id}",
        patient_id=patient_id,
        status="COMPLETED",
        scheduled_at=clock.now - timedelta(days=400),
    )
