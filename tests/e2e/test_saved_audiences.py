"""Saved audiences through the gateway to the real campaign-svc and audience-svc, Kafka and
FerretDB: a targeting saved by name with its live count, reused by campaigns (which follow its
edits until launched), names unique per clinic, bad fields named and nothing changed, another
clinic's audience absent."""

import uuid
from datetime import timedelta
from typing import Any

import pytest

from reengage_common.bus import EventPublisher, make_producer
from reengage_common.events import (
    AppointmentStatus,
    AppointmentUpdated,
    Envelope,
    Event,
    PatientUpserted,
)
from reengage_testing import eventually

pytestmark = pytest.mark.infra

AUDIENCE = """
  id name description
  targeting { inactiveDays treatmentStages includeNoShows excludeContactDays }
"""
CREATE = f"""
mutation($input: SavedAudienceInput!) {{ createSavedAudience(input: $input) {{
  __typename
  ... on SavedAudience {{ {AUDIENCE} }}
  ... on ValidationError {{ fields {{ field message code }} }}
}} }}
"""
UPDATE = f"""
mutation($id: ID!, $input: SavedAudienceInput!) {{ updateSavedAudience(id: $id, input: $input) {{
  __typename
  ... on SavedAudience {{ {AUDIENCE} }}
  ... on ValidationError {{ fields {{ field message code }} }}
  ... on NotFound {{ message }}
}} }}
"""
DELETE = """
mutation($id: ID!) { deleteSavedAudience(id: $id) {
  __typename ... on DeletedSavedAudience { id deleted } ... on NotFound { message } } }
"""
LIST_WITH_COUNTS = """
{ savedAudiences { id name estimate { __typename ... on AudienceEstimate { total patients } } } }
"""
ONE = f"query($id: ID!) {{ savedAudience(id: $id) {{ {AUDIENCE} }} }}"
CREATE_CAMPAIGN = """
mutation($input: CampaignInput!) { createCampaign(input: $input) {
  __typename
  ... on Campaign { id savedAudienceId targeting { inactiveDays treatmentStages } }
  ... on ValidationError { fields { field message code } }
} }
"""
LAUNCH = """
mutation($id: ID!) { launchCampaign(id: $id) {
  __typename ... on Campaign { status targeting { inactiveDays } }
  ... on ValidationError { fields { field code } } } }
"""


def new_clinic() -> str:
    return f"clinic-aud-{uuid.uuid4().hex[:8]}"


def lapsed(name: str, **targeting: Any) -> dict[str, Any]:
    return {
        "name": name,
        "description": "Hygiene patients gone quiet",
        "targeting": {"inactiveDays": 180, "treatmentStages": ["HYGIENE_RECALL"], **targeting},
    }


def campaign_using(audience_id: str) -> dict[str, Any]:
    return {
        "name": "Recall from a saved audience",
        "savedAudienceId": audience_id,
        "channels": ["EMAIL"],
        "messageTemplates": [
            {
                "channel": "EMAIL",
                "sequence": 1,
                "subject": "Hello",
                "body": "Book {{ bookingLink }}",
            }
        ],
        "schedule": {"sendTimes": ["10:00"], "timezone": "America/Chicago"},
    }


async def publish_patients(stack, clinic: str, days_since_visit: list[int]) -> None:
    """Hygiene-recall patients with email, each with one completed visit that long ago."""
    now = stack.clock.now
    events: list[Envelope[Event]] = []
    for n, days in enumerate(days_since_visit):
        pid = f"p-{n}"
        patient = PatientUpserted(
            patient_id=pid,
            first_name=f"P{n}",
            email=f"{pid}@example.com",
            treatment_stage="HYGIENE_RECALL",
            created_at=now - timedelta(days=900),
        )
        visit = AppointmentUpdated(
            appointment_id=f"{pid}-v",
            patient_id=pid,
            status=AppointmentStatus.COMPLETED,
            scheduled_at=now - timedelta(days=days),
        )
        events += [
            Envelope.wrap(e, source="pms", clinic_id=clinic, at=now) for e in (patient, visit)
        ]
    producer = make_producer(stack.settings)
    await producer.start()
    try:
        await EventPublisher(stack.settings, producer).publish_many(events)
    finally:
        await producer.stop()


async def test_a_saved_audience_shows_its_live_count_and_follows_its_edits(stack) -> None:
    # given a clinic with 3 patients last seen 400 days ago and 2 seen 100 days ago
    clinic = new_clinic()
    await publish_patients(stack, clinic, [400, 400, 400, 100, 100])
    await eventually(lambda: _known(stack, clinic, 5), within=30, interval=0.2)

    # when an audience of those inactive 180+ days is saved
    saved = (await stack.graphql(CREATE, {"input": lapsed("Lapsed hygiene")}, clinic=clinic))[
        "data"
    ]["createSavedAudience"]

    # then it lists with its live count: 3 of the clinic's 5 patients
    assert saved["__typename"] == "SavedAudience", saved
    listed = (await stack.graphql(LIST_WITH_COUNTS, clinic=clinic))["data"]["savedAudiences"]
    assert [(a["name"], a["estimate"]) for a in listed] == [
        ("Lapsed hygiene", {"__typename": "AudienceEstimate", "total": 3, "patients": 5})
    ]

    # and after an edit to 90 days the count follows: all 5
    edited = await stack.graphql(
        UPDATE,
        {"id": saved["id"], "input": lapsed("Lapsed hygiene", inactiveDays=90)},
        clinic=clinic,
    )
    assert edited["data"]["updateSavedAudience"]["targeting"]["inactiveDays"] == 90
    listed = (await stack.graphql(LIST_WITH_COUNTS, clinic=clinic))["data"]["savedAudiences"]
    assert listed[0]["estimate"]["total"] == 5


async def test_a_campaign_takes_its_targeting_from_the_saved_audience_until_launched(
    stack,
) -> None:
    # given a saved audience and a draft that names it, without a targeting of its own
    clinic = new_clinic()
    await stack.give_profile(clinic)
    saved = (await stack.graphql(CREATE, {"input": lapsed("Dropouts")}, clinic=clinic))["data"][
        "createSavedAudience"
    ]
    created = (
        await stack.graphql(CREATE_CAMPAIGN, {"input": campaign_using(saved["id"])}, clinic=clinic)
    )["data"]["createCampaign"]
    assert created["__typename"] == "Campaign", created
    assert created["savedAudienceId"] == saved["id"]
    assert created["targeting"] == {"inactiveDays": 180, "treatmentStages": ["HYGIENE_RECALL"]}

    # when the audience is edited before the launch
    await stack.graphql(
        UPDATE, {"id": saved["id"], "input": lapsed("Dropouts", inactiveDays=365)}, clinic=clinic
    )
    launched = (await stack.graphql(LAUNCH, {"id": created["id"]}, clinic=clinic))["data"][
        "launchCampaign"
    ]

    # then the launch uses the audience's targeting as it is now
    assert launched == {
        "__typename": "Campaign",
        "status": launched["status"],
        "targeting": {"inactiveDays": 365},
    }
    assert launched["status"] in ("ACTIVE", "SCHEDULED")

    # and deleting the audience leaves the campaign's targeting as it was
    deleted = await stack.graphql(DELETE, {"id": saved["id"]}, clinic=clinic)
    assert deleted["data"]["deleteSavedAudience"] == {
        "__typename": "DeletedSavedAudience",
        "id": saved["id"],
        "deleted": True,
    }
    answer = await stack.rest("GET", f"/api/booking/campaigns/{created['id']}", clinic=clinic)
    assert answer.json()["targeting"]["inactiveDays"] == 365


async def test_bad_input_names_the_field_and_changes_nothing(stack) -> None:
    clinic = new_clinic()
    first = await stack.graphql(CREATE, {"input": lapsed("Recall due")}, clinic=clinic)
    audience_id = first["data"]["createSavedAudience"]["id"]

    # a name taken (ignoring case and spaces), a blank name, a bad targeting, an unknown stage
    cases = [
        (lapsed(" recall   DUE "), [("name", "DUPLICATE")]),
        (lapsed("  "), [("name", "REQUIRED")]),
        (lapsed("Zero days", inactiveDays=0), [("targeting.inactiveDays", "OUT_OF_RANGE")]),
        (
            lapsed("Odd stage", treatmentStages=["WHITENING"]),
            [("targeting.treatmentStages.0", "UNKNOWN_TREATMENT_STAGE")],
        ),
    ]
    for body, expected in cases:
        answer = (await stack.graphql(CREATE, {"input": body}, clinic=clinic))["data"]
        result = answer["createSavedAudience"]
        assert result["__typename"] == "ValidationError", (body, result)
        assert [(f["field"], f["code"]) for f in result["fields"]] == expected

    # a campaign naming an audience the clinic does not have
    created = await stack.graphql(
        CREATE_CAMPAIGN, {"input": campaign_using("no-such-audience")}, clinic=clinic
    )
    result = created["data"]["createCampaign"]
    assert [(f["field"], f["code"]) for f in result["fields"]] == [
        ("savedAudienceId", "UNKNOWN_AUDIENCE")
    ]

    # nothing changed: the one audience, as saved
    listed = (await stack.graphql("{ savedAudiences { name } }", clinic=clinic))["data"]
    assert listed["savedAudiences"] == [{"name": "Recall due"}]
    one = (await stack.graphql(ONE, {"id": audience_id}, clinic=clinic))["data"]["savedAudience"]
    assert one["targeting"]["inactiveDays"] == 180


async def test_another_clinics_audience_is_not_found_and_staff_may_only_read(stack) -> None:
    # given clinic A's audience
    clinic = new_clinic()
    saved = (await stack.graphql(CREATE, {"input": lapsed("Ours")}, clinic=clinic))["data"][
        "createSavedAudience"
    ]

    # then another clinic neither sees nor changes nor uses it
    other = new_clinic()
    assert (await stack.graphql(ONE, {"id": saved["id"]}, clinic=other))["data"] == {
        "savedAudience": None
    }
    changed = await stack.graphql(
        UPDATE, {"id": saved["id"], "input": lapsed("Mine")}, clinic=other
    )
    assert changed["data"]["updateSavedAudience"]["__typename"] == "NotFound"
    used = await stack.graphql(
        CREATE_CAMPAIGN, {"input": campaign_using(saved["id"])}, clinic=other
    )
    assert used["data"]["createCampaign"]["fields"][0]["code"] == "UNKNOWN_AUDIENCE"

    # and staff with view only read the list but cannot save one
    viewer = await stack.graphql(
        "{ savedAudiences { name } }", persona="staff with view only", clinic=clinic
    )
    assert viewer["data"]["savedAudiences"] == [{"name": "Ours"}]
    refused = await stack.graphql(
        CREATE, {"input": lapsed("Theirs")}, persona="staff with view only", clinic=clinic
    )
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def _known(stack, clinic: str, patients: int) -> bool:
    return await stack.patients(clinic=clinic) == patients
