"""campaign-svc against real Kafka and FerretDB: lifecycle events, scheduler, preview data."""

import asyncio
import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from campaign_svc.app import create_app
from campaign_svc.config import CampaignSettings
from campaign_svc.store import CampaignRecord, CampaignRevision
from reengage_common.auth import generate_signing_key, issue_token
from reengage_common.events import parse
from reengage_testing import COMPLETE_CLINIC_PROFILE, FakeClock, eventually, read_topic, serving

pytestmark = pytest.mark.infra

CAMPAIGN = {
    "name": "Winter recall",
    "targeting": {"inactiveDays": 180, "treatmentStages": ["HYGIENE_RECALL"]},
    "channels": ["EMAIL", "SMS"],
    "messageTemplates": [
        {
            "channel": "EMAIL",
            "subject": "We miss you, {{ patient.firstName }}",
            "body": "Hi {{ patient.firstName }}, your last visit was {{ patient.lastVisitDate | ago }}.",
            "sequence": 1,
        },
        {
            "channel": "SMS",
            "body": "{{ clinic.name }}: book at {{ bookingLink }}",
            "sequence": 2,
            "delayDays": 3,
        },
    ],
    "schedule": {
        "startDate": "2026-12-01T09:00:00Z",
        "sendTimes": ["10:00"],
        "timezone": "America/Chicago",
    },
}


@pytest.fixture
async def service(infra, settings_for):
    prefix = f"{infra.kafka_topic_prefix}svc-{datetime.now(UTC):%H%M%S%f}."
    key = generate_signing_key()  # the identity service's; the service holds the public half
    settings = settings_for(
        "campaign-svc",
        CampaignSettings,
        kafka_topic_prefix=prefix,
        scheduler_interval_seconds=0.1,
        jwt_public_key=key.public_pem,
    )
    clock = FakeClock(datetime(2026, 11, 26, 9, 0, tzinfo=UTC))
    admin = {
        "Authorization": "Bearer "
        + issue_token(key, user_id="u-admin", clinic_id="clinic-a", role="clinic_admin")
    }
    async with serving(create_app(settings, clock=clock)) as client:
        saved = await client.put("/clinic", json=COMPLETE_CLINIC_PROFILE, headers=admin)
        assert saved.status_code == 200, saved.text
        yield client, clock, settings, admin


def campaign_starting(at: datetime, end: datetime | None = None) -> dict[str, Any]:
    body = copy.deepcopy(CAMPAIGN)
    body["schedule"]["startDate"] = at.isoformat()
    body["schedule"]["endDate"] = end.isoformat() if end else None
    return body


async def test_a_campaign_lives_its_whole_life_and_every_transition_is_published(service) -> None:
    client, clock, settings, admin = service
    created = (
        await client.post("/campaigns", json=campaign_starting(clock.now), headers=admin)
    ).json()
    campaign_id = created["id"]

    steps = [
        await client.post(f"/campaigns/{campaign_id}/{action}", headers=admin)
        for action in ("launch", "pause", "resume", "cancel")
    ]

    assert created["status"] == "DRAFT" and created["createdBy"] == "u-admin"
    assert [s.status_code for s in steps] == [200, 200, 200, 200], [s.text for s in steps]
    assert [s.json()["status"] for s in steps] == ["ACTIVE", "PAUSED", "ACTIVE", "CANCELLED"]
    launched = await read_topic(settings, settings.topic("campaign.launched"), count=1)
    changed = await read_topic(settings, settings.topic("campaign.status_changed"), count=3)
    snapshot = parse(launched[0].value).data
    assert launched[0].key == campaign_id.encode()
    assert snapshot.campaign_id == campaign_id and snapshot.run_number == 1
    assert [t.sequence for t in snapshot.message_templates] == [1, 2]
    transitions = [(e.data.from_status, e.data.to) for e in map(parse, (r.value for r in changed))]
    assert transitions == [("ACTIVE", "PAUSED"), ("PAUSED", "ACTIVE"), ("ACTIVE", "CANCELLED")]
    refused = await client.post(f"/campaigns/{campaign_id}/resume", headers=admin)
    assert refused.status_code == 409 and "CANCELLED" in refused.json()["error"]["message"]


async def test_racing_launches_sharing_an_incentive_code_never_both_go_live(service) -> None:
    client, clock, _, admin = service
    for round_ in range(5):
        # given two drafts of one clinic with the same code in overlapping periods
        body = campaign_starting(clock.now)
        body["incentive"] = {
            "hasIncentive": True,
            "incentiveDetails": "20% off",
            "incentiveCode": f"RACE-{round_}",
        }
        drafts = [
            (await client.post("/campaigns", json=body, headers=admin)).json()["id"]
            for _ in range(2)
        ]

        # when both are launched at once
        answers = await asyncio.gather(
            *(client.post(f"/campaigns/{draft}/launch", headers=admin) for draft in drafts)
        )

        # then exactly one goes live; the other is refused naming the code
        assert sorted(a.status_code for a in answers) == [200, 422], [a.text for a in answers]
        (refused,) = [a.json()["error"] for a in answers if a.status_code == 422]
        assert [f["code"] for f in refused["fields"]] == ["CODE_IN_USE"]


async def test_the_scheduler_activates_at_start_and_completes_at_end_by_itself(service) -> None:
    client, clock, settings, admin = service
    start, end = clock.now + timedelta(minutes=1), clock.now + timedelta(minutes=10)
    created = (
        await client.post("/campaigns", json=campaign_starting(start, end), headers=admin)
    ).json()
    scheduled = (await client.post(f"/campaigns/{created['id']}/launch", headers=admin)).json()

    clock.now = start + timedelta(seconds=1)
    await eventually(lambda: _status_is(client, admin, created["id"], "ACTIVE"), within=15)
    clock.now = end + timedelta(seconds=1)
    await eventually(lambda: _status_is(client, admin, created["id"], "COMPLETED"), within=15)

    assert scheduled["status"] == "SCHEDULED"
    launched = await read_topic(settings, settings.topic("campaign.launched"), count=1)
    assert parse(launched[0].value).data.launched_at == start + timedelta(seconds=1)
    completed = (await client.get(f"/campaigns/{created['id']}", headers=admin)).json()
    assert completed["completedAt"] is not None


async def test_preview_uses_the_patient_merge_data_it_is_given(service) -> None:
    # The gateway reads a patient's merge data from audience-svc and hands it over.
    client, clock, _, admin = service
    grace = {
        "firstName": "Grace",
        "lastName": "Hopper",
        "lastVisitDate": "2025-11-20",
        "treatmentStage": None,
    }
    created = (
        await client.post("/campaigns", json=campaign_starting(clock.now), headers=admin)
    ).json()

    answer = (
        await client.post(
            f"/campaigns/{created['id']}/preview",
            json={"patientMergeData": grace},
            headers=admin,
        )
    ).json()

    email, sms = answer["messages"]
    assert email["subject"] == "We miss you, Grace"
    assert (
        "Hi Grace" in email["body"] and "https://unsubscribe.example.com/preview" in email["body"]
    )
    assert "1 year ago" in email["body"]
    assert sms["body"].endswith("Reply STOP to opt out") and sms["sms"]["encoding"] == "GSM-7"


async def test_a_preview_shows_the_fallback_for_what_the_patient_lacks(service) -> None:
    client, clock, _, admin = service
    created = (
        await client.post("/campaigns", json=campaign_starting(clock.now), headers=admin)
    ).json()
    never_visited = {"firstName": "Ada", "lastName": None, "lastVisitDate": None}

    answer = await client.post(
        f"/campaigns/{created['id']}/preview",
        json={"patientMergeData": never_visited},
        headers=admin,
    )

    assert answer.status_code == 200, answer.text
    assert answer.json()["messages"][0]["body"].startswith(
        "Hi Ada, your last visit was a while ago."
    )


async def test_a_preview_names_the_sample_household_unless_grouping_is_off(service) -> None:
    client, clock, _, admin = service
    body = campaign_starting(clock.now)
    body["messageTemplates"][0]["subject"] = "{{ household.names }} ({{ household.size }})"
    grouped = (await client.post("/campaigns", json=body, headers=admin)).json()
    apart = (
        await client.post("/campaigns", json={**body, "groupHouseholds": False}, headers=admin)
    ).json()

    subjects = [
        (await client.post(f"/campaigns/{c['id']}/preview", json={}, headers=admin)).json()[
            "messages"
        ][0]["subject"]
        for c in (grouped, apart)
    ]

    assert (grouped["groupHouseholds"], apart["groupHouseholds"]) == (True, False)
    assert subjects == ["Jamie and Alex (2)", "Jamie (1)"]


@pytest.mark.parametrize("merge_data", ["p-1", 77, ["Grace"]])
async def test_patient_merge_data_that_is_not_an_object_is_refused_by_name(
    service, merge_data: object
) -> None:
    client, clock, _, admin = service
    created = (
        await client.post("/campaigns", json=campaign_starting(clock.now), headers=admin)
    ).json()

    answer = await client.post(
        f"/campaigns/{created['id']}/preview",
        json={"patientMergeData": merge_data},
        headers=admin,
    )

    assert answer.status_code == 422, answer.text
    assert [f["field"] for f in answer.json()["error"]["fields"]] == ["patientMergeData"]


async def _status_is(client, headers, campaign_id: str, status: str) -> bool:
    return (await client.get(f"/campaigns/{campaign_id}", headers=headers)).json()[
        "status"
    ] == status


async def test_a_revision_whose_writer_died_before_the_record_is_what_a_read_answers(
    service,
) -> None:
    client, clock, _, admin = service
    created = (
        await client.post("/campaigns", json=campaign_starting(clock.now), headers=admin)
    ).json()
    # a writer won the next revision, then died before writing the campaign's record
    record = await CampaignRecord.get(created["id"])
    assert record is not None
    won = record.revision + 1
    state = {**record.model_dump(), "revision": won}
    state["definition"]["name"] = "Spring recall"
    await CampaignRevision(
        id=CampaignRevision.key(record.id, won),
        campaign_id=record.id,
        clinic_id=record.clinic_id,
        revision=won,
        state=state,
        at=clock.now,
    ).insert()

    answer = await client.get(f"/campaigns/{created['id']}", headers=admin)

    assert answer.json()["name"] == "Spring recall"
    repaired = await CampaignRecord.get(created["id"])
    assert repaired is not None and repaired.revision == won
