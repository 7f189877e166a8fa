"""Preview through the gateway: every step rendered as sent, with sample data or with a patient
the clinic's systems announced on Kafka, and the size of each SMS."""

import math
from datetime import UTC, datetime
from typing import Any

import pytest

from reengage_common.bus import EventPublisher, make_producer
from reengage_common.events import AppointmentUpdated, Envelope, PatientUpserted
from reengage_testing import eventually

pytestmark = pytest.mark.infra

CLINIC_A, CLINIC_B = "clinic-a", "clinic-b"
PREVIEW = """
mutation Preview($id: ID!, $patientId: ID, $sampleData: JSON) {
  previewCampaign(id: $id, patientId: $patientId, sampleData: $sampleData) {
    __typename
    ... on CampaignPreview {
      campaignId
      messages { channel sequence variant subject body html sms { encoding characters segments } }
    }
    ... on NotFound { message }
    ... on ValidationError { message fields { field message } }
  }
}
"""
UNSUBSCRIBE = "https://unsubscribe.example.com/preview"


async def preview(stack, campaign_id: str, *, clinic: str = CLINIC_A, **arguments: Any) -> dict:
    answer = await stack.graphql(PREVIEW, {"id": campaign_id, **arguments}, clinic=clinic)
    return answer["data"]["previewCampaign"]


async def announce(stack, *events: tuple[Any, str]) -> None:
    """Publish events as the clinic's other systems do, on this module's topics."""
    producer = make_producer(stack.settings)
    await producer.start()
    try:
        await EventPublisher(stack.settings, producer).publish_many(
            [Envelope.wrap(data, source="pms", clinic_id=clinic) for data, clinic in events]
        )
    finally:
        await producer.stop()


async def test_a_preview_renders_every_step_with_sample_data(stack) -> None:
    # given a draft with an email and an SMS step
    draft = await stack.campaign()

    # when it is previewed with a first name of the user's choosing
    result = await preview(stack, draft["id"], sampleData={"patient": {"firstName": "Ada"}})

    # then each step reads as the patient would get it, with its way out
    assert result["__typename"] == "CampaignPreview", result
    assert result["campaignId"] == draft["id"]
    email, sms = result["messages"]
    assert (email["channel"], email["sequence"], email["variant"]) == ("EMAIL", 1, "A")
    assert email["subject"] == "We miss you, Ada"
    assert email["body"].startswith(
        "Hi Ada, your last visit was 8 months ago. 20% off your next cleaning with SMILE20."
    )
    footer = "\n\n--\nBright Smiles Dental\n100 Main Street"  # the sender's address, as sent
    assert f"unsubscribe here: {UNSUBSCRIBE}{footer}" in email["body"]
    assert email["html"].startswith("<!DOCTYPE html>")  # the HTML part as sent, escaped
    assert "<p>Hi Ada, your last visit was 8 months ago." in email["html"]
    assert f'<a href="{UNSUBSCRIBE}">' in email["html"]
    assert email["sms"] is None and sms["html"] is None
    assert (sms["channel"], sms["sequence"], sms["subject"]) == ("SMS", 2, None)
    assert sms["body"] == (
        "Bright Smiles Dental: book at https://book.example.com/preview\nReply STOP to opt out"
    )
    assert sms["sms"] == {"encoding": "GSM-7", "characters": len(sms["body"]), "segments": 1}


@pytest.mark.parametrize(
    ("clinic_name", "encoding", "units_per_segment"),
    [
        ("Smile Studio", "GSM-7", (160, 153)),
        ("Zoë's Smile Studio", "UCS-2", (70, 67)),  # ë is not in the GSM-7 alphabet
        ("Smile Studio " * 10, "GSM-7", (160, 153)),
        ("Smile Stüdio™ " * 5, "UCS-2", (70, 67)),
    ],
    ids=["short GSM-7", "short UCS-2", "long GSM-7", "long UCS-2"],
)
async def test_a_preview_counts_each_sms_in_its_encoding_and_segments(
    stack, clinic_name: str, encoding: str, units_per_segment: tuple[int, int]
) -> None:
    # given
    draft = await stack.campaign()

    # when
    result = await preview(stack, draft["id"], sampleData={"clinic": {"name": clinic_name}})

    # then
    sms = result["messages"][1]
    assert sms["body"].startswith(f"{clinic_name}: book at")
    single, part = units_per_segment
    characters = len(sms["body"])  # no GSM-7 escapes or UCS-2 surrogate pairs in these
    segments = 1 if characters <= single else math.ceil(characters / part)
    assert sms["sms"] == {"encoding": encoding, "characters": characters, "segments": segments}
    assert segments > 1 or len(clinic_name) < 20


async def test_a_preview_uses_the_patient_the_clinic_systems_announced_on_kafka(stack) -> None:
    # given a patient and their last visit, announced on Kafka by the practice system (a
    # year ago, where the sample patient's visit was 8 months ago)
    visit = datetime(2025, 11, 20, 15, 0, tzinfo=UTC)
    await announce(
        stack,
        (PatientUpserted(patient_id="p-77", first_name="Grace", last_name="Hopper"), CLINIC_A),
        (
            AppointmentUpdated(
                appointment_id="a-1", patient_id="p-77", status="COMPLETED", scheduled_at=visit
            ),
            CLINIC_A,
        ),
    )
    draft = await stack.campaign()

    # when the campaign is previewed for that patient, once campaign-svc has heard both (the
    # two topics are read independently, so either may come first)
    async def rendered_for_grace() -> bool:
        result = await preview(stack, draft["id"], patientId="p-77")
        return result["__typename"] == "CampaignPreview" and result["messages"][0][
            "body"
        ].startswith("Hi Grace, your last visit was 1 year ago.")

    await eventually(rendered_for_grace, within=20, interval=0.2)
    result = await preview(stack, draft["id"], patientId="p-77")

    # then the messages carry the patient's own data
    email, sms = result["messages"]
    assert email["subject"] == "We miss you, Grace"
    assert email["body"].startswith(
        "Hi Grace, your last visit was 1 year ago. 20% off your next cleaning with SMILE20."
    )
    assert sms["body"].endswith("Reply STOP to opt out") and sms["sms"]["encoding"] == "GSM-7"
    # and sample data still overrides what the patient's data lacks or the user wants to try
    tried = await preview(
        stack, draft["id"], patientId="p-77", sampleData={"patient": {"firstName": "Amazing"}}
    )
    assert tried["messages"][0]["subject"] == "We miss you, Amazing"


async def test_a_preview_for_an_unknown_patient_or_another_clinics_patient_is_not_found(
    stack,
) -> None:
    # given a patient of clinic B, known to campaign-svc
    await announce(stack, (PatientUpserted(patient_id="p-88", first_name="Bea"), CLINIC_B))
    theirs = await stack.campaign(clinic=CLINIC_B)

    async def known_in_clinic_b() -> bool:
        result = await preview(stack, theirs["id"], clinic=CLINIC_B, patientId="p-88")
        return result["__typename"] == "CampaignPreview"

    await eventually(known_in_clinic_b, within=20, interval=0.2)
    ours = await stack.campaign()

    # when clinic A previews with B's patient, and with a patient nobody announced
    with_theirs = await preview(stack, ours["id"], patientId="p-88")
    with_nobody = await preview(stack, ours["id"], patientId="p-none")

    # then both are simply not found
    assert with_theirs == {"__typename": "NotFound", "message": "patient p-88 not found"}
    assert with_nobody == {"__typename": "NotFound", "message": "patient p-none not found"}


async def test_sample_data_that_is_not_an_object_is_a_validation_error(stack) -> None:
    draft = await stack.campaign()

    result = await preview(stack, draft["id"], sampleData=["not", "an", "object"])

    assert result["__typename"] == "ValidationError", result
    assert [f["field"] for f in result["fields"]] == ["sampleData"]


async def test_a_preview_for_a_patient_without_a_completed_visit_shows_the_fallback(
    stack,
) -> None:
    # given a patient the practice system announced, who never completed a visit
    await announce(stack, (PatientUpserted(patient_id="p-new", first_name="Alan"), CLINIC_A))
    draft = await stack.campaign()

    # when the campaign is previewed for them, over GraphQL and REST
    async def known() -> bool:
        return (await preview(stack, draft["id"], patientId="p-new"))[
            "__typename"
        ] == "CampaignPreview"

    await eventually(known, within=20, interval=0.2)
    graphql = await preview(stack, draft["id"], patientId="p-new")
    rest = await stack.rest(
        "POST", f"/api/booking/campaigns/{draft['id']}/preview", json={"patientId": "p-new"}
    )

    # then the email reads as theirs will: "a while ago", not the sample's "8 months ago"
    expected = "Hi Alan, your last visit was a while ago. 20% off your next cleaning with SMILE20."
    assert graphql["messages"][0]["body"].startswith(expected)
    assert rest.status_code == 200, rest.text
    assert rest.json()["messages"][0]["body"].startswith(expected)


@pytest.mark.parametrize("patient_id", ["p\x00", "p-\t1", "", 77])
async def test_a_preview_patient_id_no_patient_can_have_is_refused_by_name(
    stack, patient_id: object
) -> None:
    # A NUL reached FerretDB's PostgreSQL, which cannot store it: a 500 instead of an answer.
    draft = await stack.campaign()

    answer = await stack.rest(
        "POST", f"/api/booking/campaigns/{draft['id']}/preview", json={"patientId": patient_id}
    )

    assert answer.status_code == 422, answer.text
    assert [f["field"] for f in answer.json()["error"]["fields"]] == ["patientId"]


PREVIEW_CODES = """
mutation Preview($id: ID!, $sampleData: JSON) {
  previewCampaign(id: $id, sampleData: $sampleData) {
    __typename
    ... on ValidationError { fields { field code } }
  }
}
"""


async def test_oversized_sample_data_or_a_message_past_its_limit_is_refused_with_a_code(
    stack,
) -> None:
    # given a draft with an email and an SMS step (issue 17 #3)
    draft = await stack.campaign()

    async def refused(sample_data: dict) -> list[tuple[str, str]]:
        answer = await stack.graphql(
            PREVIEW_CODES, {"id": draft["id"], "sampleData": sample_data}, clinic=CLINIC_A
        )
        result = answer["data"]["previewCampaign"]
        assert result["__typename"] == "ValidationError", result
        return [(f["field"], f["code"]) for f in result["fields"]]

    # sample data past 16 kB is refused before anything renders
    assert await refused({"patient": {"firstName": "x" * 20_000}}) == [("sampleData", "TOO_LONG")]
    # a clinic name that takes the SMS past ten segments is refused at that step
    assert await refused({"clinic": {"name": "Smile " * 300}}) == [
        ("messageTemplates.1.body", "RENDERED_TOO_LARGE")
    ]
