"""How the fault suite's clinic and patients act on the system, through its real doors only:
the clinic's systems publish `patient.upserted` / `appointment.updated`; patients click their
booking links; the email provider and Twilio call tracking-svc's webhooks.

Like the real callers, these retry a request a failed replica did not answer (a provider
retries a webhook that got no 2xx), on the other replica.
"""

import asyncio
import base64
import hashlib
import hmac
import random
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer
from fault_fleet import Replica
from fault_truth import Booking, Clinic

from reengage_common.bus import EventPublisher, make_producer
from reengage_common.events import (
    AppointmentStatus,
    AppointmentUpdated,
    Consents,
    Envelope,
    Event,
    PatientAddress,
    PatientUpserted,
)
from reengage_common.messages.links import BOOKING_CLICK, LinkClaims, make_link_token
from reengage_common.settings import Settings

EMAIL_EVENTS_PER_CALL = 500  # tracking-svc's limit per webhook call
ADDRESS = PatientAddress(line1="1 Main St", city="Springfield", state="IL", postal_code="62701",
                  country="US")  # fmt: skip


def clinic_events(clinic: Clinic, now: datetime, zone: str) -> list[Envelope[Event]]:
    """Every patient, reachable on all three channels, and the visits that decide targeting."""
    events: list[Envelope[Event]] = []
    for patient in clinic.patients:
        profile = PatientUpserted(
            patient_id=patient.patient_id,
            first_name=f"Pat{patient.patient_id[-4:]}",
            last_name="Faults",
            email=patient.email,
            phone=patient.phone,
            address=ADDRESS,
            timezone=zone,
            consents=Consents(email=True, sms=True, mail=True),
            treatment_stage="HYGIENE_RECALL",
            treatment_status="ACTIVE",
            do_not_contact=patient.excluded == "DO_NOT_CONTACT",
            created_at=now - timedelta(days=900),
        )
        events.append(_wrap(profile, clinic.clinic_id, now))
        last_visit = now - timedelta(days=20 if patient.excluded == "VISITED_RECENTLY" else 400)
        events.append(
            _wrap(_visit(patient.patient_id, "v1", "COMPLETED", last_visit), clinic.clinic_id, now)
        )
        if patient.excluded == "UPCOMING_APPOINTMENT":
            upcoming = _visit(patient.patient_id, "v2", "BOOKED", now + timedelta(days=9))
            events.append(_wrap(upcoming, clinic.clinic_id, now))
    return events


def booking_events(
    clinic: Clinic, bookings: Iterable[Booking], now: datetime
) -> list[Envelope[Event]]:
    return [
        _wrap(
            AppointmentUpdated(
                appointment_id=b.appointment_id,
                patient_id=b.patient_id,
                status=AppointmentStatus.BOOKED,
                scheduled_at=now + timedelta(days=12),
                value_cents=b.value_cents,
                incentive_code=b.code,
            ),
            clinic.clinic_id,
            now,
        )
        for b in bookings
    ]


def _visit(patient_id: str, suffix: str, status: str, at: datetime) -> AppointmentUpdated:
    return AppointmentUpdated(
        appointment_id=f"a-{patient_id}-{suffix}",
        patient_id=patient_id,
        status=AppointmentStatus(status),
        scheduled_at=at,
        value_cents=12_000,
    )


def _wrap(event: Event, clinic_id: str, now: datetime) -> Envelope[Event]:
    return Envelope.wrap(event, source="clinic-pms", clinic_id=clinic_id, at=now)


def twice_out_of_order(
    events: Sequence[Envelope[Event]], chance: random.Random
) -> list[Envelope[Event]]:
    """Each event twice: all of them interleaved across patients (a patient's own in order),
    then all again, as a replay of the clinic system's outbox would."""
    by_key: dict[str, list[Envelope[Event]]] = {}
    for event in events:
        by_key.setdefault(event.key, []).append(event)
    queues = [list(q) for q in by_key.values()]
    mixed: list[Envelope[Event]] = []
    while queues:
        queue = chance.choice(queues)
        mixed.append(queue.pop(0))
        if not queue:
            queues.remove(queue)
    return [*mixed, *events]


def twilio_signature(auth_token: str, url: str, form: dict[str, str]) -> str:
    """Twilio's request signature: base64(HMAC-SHA1(token, URL + each name+value by name))."""
    payload = url + "".join(name + value for name, value in sorted(form.items()))
    return base64.b64encode(
        hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    ).decode()


class Publisher:
    """The clinic's systems on Kafka (a producer of their own, idempotent, acks=all)."""

    def __init__(self, settings: Settings, twice: random.Random | None) -> None:
        self._settings = settings
        self._twice = twice
        self._producer: AIOKafkaProducer | None = None

    async def __aenter__(self) -> "Publisher":
        self._producer = make_producer(self._settings)
        await self._producer.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._producer is not None
        await self._producer.stop()

    async def publish(self, events: Sequence[Envelope[Event]]) -> None:
        assert self._producer is not None
        if self._twice is not None:
            events = twice_out_of_order(events, self._twice)
        publisher = EventPublisher(self._settings, self._producer)
        for start in range(0, len(events), 2000):
            await publisher.publish_many(events[start : start + 2000])


class PublicDoors:
    """tracking-svc's public routes, as patients and providers reach them."""

    def __init__(self, replicas: list[Replica], secrets: dict[str, str], twice: bool) -> None:
        self._replicas = replicas
        self._secrets = secrets
        self._twice = twice  # a provider that delivers each webhook twice
        self._http = httpx.AsyncClient(timeout=10, follow_redirects=False)

    async def close(self) -> None:
        await self._http.aclose()

    async def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        for attempt in range(400):
            replica = self._replicas[attempt % len(self._replicas)]
            try:
                answer = await self._http.request(method, replica.public_url + path, **kwargs)
            except httpx.HTTPError:
                answer = None
            if answer is not None and answer.status_code < 500:
                return answer
            await asyncio.sleep(0.25)
        raise AssertionError(f"{method} {path}: no replica of tracking-svc answered")

    async def _deliver(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        answer = await self._call(method, path, **kwargs)
        if self._twice:
            await self._call(method, path, **kwargs)
        return answer

    async def click(
        self, clinic_id: str, campaign_id: str, patient_id: str, message_id: str
    ) -> None:
        claims = LinkClaims(message_id=message_id, campaign_id=campaign_id,
                            patient_id=patient_id, clinic_id=clinic_id)  # fmt: skip
        token = make_link_token(self._secrets["link"], claims, BOOKING_CLICK)
        answer = await self._deliver("GET", f"/b/{token}")
        assert answer.status_code == 303, answer.text

    async def email_events(self, events: list[dict[str, str]]) -> None:
        headers = {"x-webhook-secret": self._secrets["email"]}
        for start in range(0, len(events), EMAIL_EVENTS_PER_CALL):
            chunk = events[start : start + EMAIL_EVENTS_PER_CALL]
            answer = await self._deliver(
                "POST", "/webhooks/email/events", json=chunk, headers=headers
            )
            assert answer.status_code == 200, answer.text

    async def text_in(self, phone: str, clinic_number: str, body: str) -> None:
        path = "/webhooks/twilio/inbound"
        form = {"From": phone, "To": clinic_number, "Body": body,
                "MessageSid": "SM" + uuid.uuid4().hex}  # fmt: skip
        url = self._secrets["public_base_url"].rstrip("/") + path
        signature = twilio_signature(self._secrets["twilio"], url, form)
        answer = await self._deliver(
            "POST", path, data=form, headers={"x-twilio-signature": signature}
        )
        assert answer.status_code == 200, answer.text
