from datetime import UTC, datetime

import pytest

from reengage_common.events import (
    AppointmentUpdated,
    CampaignStatusChanged,
    Envelope,
    MalformedEvent,
    PatientUpserted,
    message_id,
    parse,
)

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)

PATIENT_UPSERTED = {
    "id": "8d1f6c1e-0000-4000-8000-000000000001",
    "type": "patient.upserted",
    "version": 1,
    "source": "practice-management",
    "time": "2026-11-26T10:00:00Z",
    "clinicId": "clinic-a",
    "traceId": "abc",
    "data": {
        "patientId": "p-1001",
        "firstName": "Ada",
        "lastName": "Lovelace",
        "email": "ada@example.com",
        "phone": "+15551230001",
        "address": {
            "line1": "1 Main St",
            "line2": None,
            "city": "Springfield",
            "state": "IL",
            "postalCode": "62701",
            "country": "US",
        },
        "timezone": "America/Chicago",
        "birthDate": "2009-04-02",
        "guardian": {"name": "Grace Lovelace", "email": "grace@example.com", "phone": None},
        "preferredLanguage": "en",
        "consents": {"email": True, "sms": True, "mail": True},
        "treatmentStage": "RETENTION",
        "treatmentStatus": "ACTIVE",
        "doNotContact": False,
        "deceased": False,
        "createdAt": "2019-03-01T10:00:00Z",
        "someFieldWeDoNotKnow": 42,
    },
}


def test_the_contract_example_of_patient_upserted_parses_into_its_model() -> None:
    envelope = parse(PATIENT_UPSERTED, "patient.upserted")

    assert isinstance(envelope.data, PatientUpserted)
    assert envelope.clinic_id == "clinic-a"
    assert envelope.data.address is not None and envelope.data.address.postal_code == "62701"
    assert envelope.data.consents.sms is True
    assert envelope.key == "p-1001"


def test_an_envelope_round_trips_through_json_in_camel_case() -> None:
    event = AppointmentUpdated(
        appointment_id="a-77",
        patient_id="p-1",
        status="BOOKED",
        scheduled_at=NOW,
        value_cents=25000,
    )
    envelope = Envelope.wrap(event, source="tests", clinic_id="clinic-a", at=NOW)

    raw = envelope.to_json()
    again = parse(raw)

    assert b'"appointmentId":"a-77"' in raw and b'"clinicId":"clinic-a"' in raw
    assert again.data == event
    assert again.id == envelope.id


def test_status_changed_carries_from_on_the_wire() -> None:
    event = CampaignStatusChanged(campaign_id="c-1", **{"from": "ACTIVE"}, to="PAUSED", at=NOW)

    document = Envelope.wrap(event, source="tests", clinic_id="c").to_document()

    assert document["data"]["from"] == "ACTIVE"


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda e: e["data"].pop("patientId"), "data.patientId"),
        (lambda e: e["data"].update(consents={"sms": "perhaps"}), "data.consents.sms"),
        (lambda e: e.pop("clinicId"), "clinicId"),
        (lambda e: e.update(time="yesterday"), "time"),
        (lambda e: e.update(type="patient.deleted"), "type"),
    ],
)
def test_a_malformed_event_is_refused_with_the_field_named(mutate, field) -> None:
    document = {**PATIENT_UPSERTED, "data": dict(PATIENT_UPSERTED["data"])}
    mutate(document)

    with pytest.raises(MalformedEvent) as refused:
        parse(document)

    assert field in refused.value.reason


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"firstName": "x" * 101}, "data.firstName"),
        ({"lastName": "x" * 65_536}, "data.lastName"),
        ({"email": "a" * 250 + "@b.example"}, "data.email"),
        ({"phone": "1" * 33}, "data.phone"),
        ({"address": {"line1": "x" * 201}}, "data.address.line1"),
        ({"guardian": {"name": "x" * 101}}, "data.guardian.name"),
        ({"preferredLanguage": "x" * 65}, "data.preferredLanguage"),
    ],
)
def test_a_patient_field_past_its_natural_length_is_refused_by_name(data, field) -> None:
    # Every patient value may be merged into each message: none may be a document (issue 17 #3).
    document = {**PATIENT_UPSERTED, "data": {**PATIENT_UPSERTED["data"], **data}}

    with pytest.raises(MalformedEvent) as refused:
        parse(document)

    assert field in refused.value.reason
    assert "xxxx" not in refused.value.reason  # the value is not echoed


def test_patient_fields_at_their_natural_lengths_are_accepted() -> None:
    data = {"firstName": "x" * 100, "email": "a" * 243 + "@b.example", "phone": "+1 (312) 555-0100"}
    document = {**PATIENT_UPSERTED, "data": {**PATIENT_UPSERTED["data"], **data}}

    assert parse(document).data.first_name == "x" * 100


def test_an_event_on_the_wrong_topic_or_not_json_is_refused() -> None:
    with pytest.raises(MalformedEvent, match="does not belong on topic"):
        parse(PATIENT_UPSERTED, "appointment.updated")
    with pytest.raises(MalformedEvent, match="not JSON"):
        parse(b"\x00garbage")


def test_message_ids_are_deterministic_per_campaign_patient_run_and_step() -> None:
    first = message_id("c-1", "p-1", 1, 1)

    assert first == message_id("c-1", "p-1", 1, 1)
    assert first != message_id("c-1", "p-1", 1, 2)
    assert first != message_id("c-1", "p-1", 2, 1)
