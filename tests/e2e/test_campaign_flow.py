"""A clinic's campaign from its patients to its figures, through the gateway to the real services.

The clinic's systems publish its patients (`patient.upserted`) and their visits
(`appointment.updated`); the clinic asks the gateway how many patients a targeting reaches,
creates and launches the campaign over GraphQL; audience-svc fans out (`message.due` for the
targeted, `recipient.held_out` for the holdout, then `audience.evaluated`), tracking-svc counts;
and the figures the gateway shows add up to the estimate and to the clinic's patients. Sending
(dispatch-svc) is not part of this: nothing here depends on a message being sent.

Another clinic sees none of it: the gateway answers its questions about the campaign exactly as
about an id nobody used, and tracking-svc itself, asked with that clinic's token, shows a
campaign without any activity, like an id nobody used.
"""

import json
import uuid
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from reengage_common.bus import EventPublisher, make_producer
from reengage_common.events import (
    AppointmentStatus,
    AppointmentUpdated,
    Consents,
    Envelope,
    Event,
    PatientUpserted,
)
from reengage_testing import eventually

pytestmark = pytest.mark.infra

HOLDOUT_PERCENT = 20.0
TARGETING = {
    "inactiveDays": 180,
    "treatmentStages": ["HYGIENE_RECALL"],
    "includeNoShows": True,
    "includeDropouts": False,
    "excludeRecentContact": True,
    "excludeContactDays": 30,
}
CHANNELS = ["EMAIL", "SMS"]
STEP_OF = {"EMAIL": 1, "SMS": 2}  # the campaign's steps: an email, then an SMS
EMAIL_ONLY, SMS_ONLY = 25, 5
# Patients the targeting leaves out, one per reason (each is counted under its first reason).
EXCLUDED = {
    "DECEASED": 1,
    "DO_NOT_CONTACT": 1,
    "VISITED_RECENTLY": 1,
    "UPCOMING_APPOINTMENT": 1,
    "TREATMENT_STAGE": 1,
    "DROPOUT": 1,
    "NO_REACHABLE_CHANNEL": 1,
}
SELECTED = EMAIL_ONLY + SMS_ONLY + 1  # and one who missed their last visit (no-shows are in)
PATIENTS = SELECTED + sum(EXCLUDED.values())

ESTIMATE = """
query($t: TargetingInput!, $c: [Channel!]) {
  audienceEstimate(targeting: $t, channels: $c) {
    __typename
    ... on AudienceEstimate {
      total targeted heldOut patients
      excluded { reason patients }
      byChannel { channel patients }
    }
    ... on ValidationError { message }
    ... on NotAvailable { message }
  }
}
"""
CREATE = """
mutation($input: CampaignInput!) {
  createCampaign(input: $input) { __typename ... on Campaign { id status } }
}
"""
LAUNCH = """
mutation($id: ID!) {
  launchCampaign(id: $id) { __typename ... on Campaign { id status runNumber } }
}
"""
STATS = """
query($id: ID!) {
  campaignStats(id: $id) {
    __typename
    ... on CampaignStats {
      campaignId targeted heldOut recipients statusCounts
      excluded { reason count }
      lift { heldOut }
    }
    ... on NotFound { message }
  }
}
"""
RECIPIENTS = """
query($id: ID!) {
  campaignRecipients(campaignId: $id, first: 100) {
    __typename
    ... on RecipientConnection { totalCount edges { node { patientId holdout } } }
    ... on NotFound { message }
  }
}
"""


def clinic_patients(
    clinic: str, now: Any
) -> tuple[list[Envelope[Event]], set[str], dict[str, str]]:
    """The clinic's patient and appointment events, who should be selected, and each selected
    patient's first channel."""
    long_ago = now - timedelta(days=400)
    created = now - timedelta(days=800)
    events: list[Envelope[Event]] = []
    selected: set[str] = set()
    channel_of: dict[str, str] = {}

    def patient(pid: str, **fields: Any) -> str:
        fields.setdefault("treatment_stage", "HYGIENE_RECALL")
        fields.setdefault("email", f"{pid}@example.com")
        profile = PatientUpserted(patient_id=pid, first_name=pid, created_at=created, **fields)
        events.append(Envelope.wrap(profile, source="clinic-pms", clinic_id=clinic, at=now))
        return pid

    def visit(pid: str, status: AppointmentStatus, at: Any) -> None:
        appointment = AppointmentUpdated(
            appointment_id=f"{pid}-{status.value.lower()}",
            patient_id=pid,
            status=status,
            scheduled_at=at,
            value_cents=12_000,
        )
        events.append(Envelope.wrap(appointment, source="clinic-pms", clinic_id=clinic, at=now))

    for n in range(EMAIL_ONLY):
        pid = patient(f"email-{n}")
        visit(pid, AppointmentStatus.COMPLETED, long_ago)
        selected.add(pid)
        channel_of[pid] = "EMAIL"
    for n in range(SMS_ONLY):
        pid = patient(f"sms-{n}", email=None, phone=f"+1512555{n:04d}", consents=Consents(sms=True))
        visit(pid, AppointmentStatus.COMPLETED, long_ago)
        selected.add(pid)
        channel_of[pid] = "SMS"
    no_show = patient("no-show")
    visit(no_show, AppointmentStatus.NO_SHOW, now - timedelta(days=300))
    selected.add(no_show)
    channel_of[no_show] = "EMAIL"

    patient("deceased", deceased=True)
    patient("do-not-contact", do_not_contact=True)
    visit(patient("visited-recently"), AppointmentStatus.COMPLETED, now - timedelta(days=20))
    upcoming = patient("upcoming")
    visit(upcoming, AppointmentStatus.COMPLETED, long_ago)
    visit(upcoming, AppointmentStatus.BOOKED, now + timedelta(days=10))
    patient("other-stage", treatment_stage="RETENTION")
    patient("dropout", treatment_status="DISCONTINUED")
    patient("unreachable", email=None, phone="+15125559999")  # no consent to SMS
    return events, selected, channel_of


def as_dict(rows: list[dict[str, Any]], key: str, value: str) -> dict[str, int]:
    return {row[key]: row[value] for row in rows}


async def test_a_launched_campaign_reaches_the_estimated_audience_and_its_figures_add_up(
    stack, new_campaign_input
) -> None:
    # given a clinic whose systems have published its patients and their visits
    clinic = f"clinic-flow-{uuid.uuid4().hex[:6]}"
    other = f"clinic-other-{uuid.uuid4().hex[:6]}"
    events, selected, channel_of = clinic_patients(clinic, stack.clock.now)
    producer = make_producer(stack.settings)
    await producer.start()
    try:
        await EventPublisher(stack.settings, producer).publish_many(events)
    finally:
        await producer.stop()

    async def estimate() -> dict[str, Any]:
        answer = await stack.graphql(
            ESTIMATE, {"t": TARGETING, "c": CHANNELS}, persona="manager", clinic=clinic
        )
        assert "errors" not in answer, answer
        return answer["data"]["audienceEstimate"]

    async def all_known() -> bool:
        # every patient, and the visits that decide who is left out, have been taken in
        seen = await estimate()
        reasons = as_dict(seen.get("excluded", []), "reason", "patients")
        return seen.get("patients") == PATIENTS and {
            "VISITED_RECENTLY",
            "UPCOMING_APPOINTMENT",
        } <= set(reasons)

    await eventually(all_known, within=30)

    # when the clinic (with its profile saved) asks for the estimate, then creates and launches
    # the campaign
    await stack.give_profile(clinic)
    estimated = await estimate()
    draft_estimate = await stack.rest(
        "POST",
        "/api/booking/campaigns/estimate",
        json=new_campaign_input(targeting=TARGETING, holdoutPercent=HOLDOUT_PERCENT),
        persona="manager",
        clinic=clinic,
    )
    definition = new_campaign_input(
        name="Hygiene recall", targeting=TARGETING, holdoutPercent=HOLDOUT_PERCENT
    )
    created = (await stack.graphql(CREATE, {"input": definition}, clinic=clinic))["data"][
        "createCampaign"
    ]
    assert created["__typename"] == "Campaign", created
    campaign_id = created["id"]
    launched = (await stack.graphql(LAUNCH, {"id": campaign_id}, clinic=clinic))["data"][
        "launchCampaign"
    ]

    # then the estimate counted who the campaign reaches, and why the others are left out
    assert launched == {
        "__typename": "Campaign",
        "id": campaign_id,
        "status": "ACTIVE",
        "runNumber": 1,
    }
    assert estimated["total"] == estimated["targeted"] == SELECTED
    assert estimated["heldOut"] == 0 and estimated["patients"] == PATIENTS
    assert as_dict(estimated["excluded"], "reason", "patients") == EXCLUDED
    assert as_dict(estimated["byChannel"], "channel", "patients") == dict(
        Counter(channel_of.values())
    )
    # and the draft's whole definition reaches the same patients, some of them held out
    assert draft_estimate.status_code == 200, draft_estimate.text
    whole = draft_estimate.json()
    assert whole["total"] == whole["targeted"] + whole["heldOut"] == SELECTED
    assert whole["excluded"] == EXCLUDED and whole["patients"] == PATIENTS

    # and audience-svc fanned out: a first message due for each targeted patient, the rest held out,
    # then the evaluation, once
    (evaluated,) = await stack.events("audience.evaluated", campaign_id, count=1)
    due = await stack.events("message.due", campaign_id, count=evaluated.data.targeted)
    held = await stack.events("recipient.held_out", campaign_id, count=evaluated.data.held_out)
    due_patients = {event.data.patient_id for event in due}
    held_patients = {event.data.patient_id for event in held}
    assert evaluated.clinic_id == clinic and evaluated.data.run_number == 1
    assert evaluated.data.targeted + evaluated.data.held_out == estimated["targeted"]
    assert evaluated.data.excluded == EXCLUDED
    assert len(due) == len(due_patients) == evaluated.data.targeted
    assert len(held) == len(held_patients) == evaluated.data.held_out
    assert due_patients | held_patients == selected and not due_patients & held_patients
    # (each patient's first step they can receive: the email, or else the SMS, the 2nd step)
    assert all(e.clinic_id == clinic for e in due)
    assert {e.data.patient_id: (e.data.channel.value, e.data.sequence) for e in due} == {
        pid: (channel_of[pid], STEP_OF[channel_of[pid]]) for pid in due_patients
    }

    # and tracking-svc, having taken in the evaluation and every recipient, shows through the
    # gateway figures that add up to the estimate and to the clinic's patients
    async def stats() -> dict[str, Any]:
        answer = await stack.graphql(STATS, {"id": campaign_id}, clinic=clinic)
        assert "errors" not in answer, answer
        return answer["data"]["campaignStats"]

    async def counted() -> bool:
        figures = await stats()
        return (
            bool(figures["excluded"])
            and sum(figures["statusCounts"].values()) == len(due)
            and figures["lift"]["heldOut"] == len(held)
        )

    await eventually(counted, within=30)
    figures = await stats()
    excluded = as_dict(figures["excluded"], "reason", "count")
    assert figures["campaignId"] == campaign_id
    assert figures["targeted"] + figures["heldOut"] == estimated["targeted"]
    assert (figures["targeted"], figures["heldOut"]) == (len(due), len(held))
    assert excluded == EXCLUDED
    assert figures["targeted"] + figures["heldOut"] + sum(excluded.values()) == PATIENTS
    assert figures["recipients"] == len(due)
    # and the recipients are the targeted patients (the holdout is not among them)
    page = (await stack.graphql(RECIPIENTS, {"id": campaign_id}, clinic=clinic))["data"][
        "campaignRecipients"
    ]
    treated = {edge["node"]["patientId"] for edge in page["edges"] if not edge["node"]["holdout"]}
    assert page["totalCount"] == len(due) and treated == due_patients
    # and the campaign's own counter says the same over REST
    one = f"/api/booking/campaigns/{campaign_id}"
    read = await stack.rest("GET", one, clinic=clinic)
    assert read.status_code == 200 and read.json()["targetCount"] == figures["targeted"]

    # and another clinic learns nothing of it: through the gateway its id is an id nobody used
    nobodys = uuid.uuid4().hex
    for document in (STATS, RECIPIENTS):
        theirs = await stack.graphql(document, {"id": campaign_id}, clinic=other)
        unknown = await stack.graphql(document, {"id": nobodys}, clinic=other)
        field = next(iter(theirs["data"]))
        assert theirs["data"][field]["__typename"] == "NotFound", theirs
        assert same_but_the_id(theirs, campaign_id, unknown, nobodys)
    for path in (one + "/stats", one + "/recipients"):
        theirs_rest = await stack.rest("GET", path, clinic=other)
        unknown_rest = await stack.rest("GET", path.replace(campaign_id, nobodys), clinic=other)
        assert theirs_rest.status_code == unknown_rest.status_code == 404, theirs_rest.text
        assert same_but_the_id(theirs_rest.json(), campaign_id, unknown_rest.json(), nobodys)
    # and tracking-svc itself, asked with the other clinic's token, shows no activity at all
    as_other = stack.headers(clinic=other)
    tracked = await stack.tracking_svc.get(f"/campaigns/{campaign_id}/stats", headers=as_other)
    untracked = await stack.tracking_svc.get(f"/campaigns/{nobodys}/stats", headers=as_other)
    assert tracked.status_code == untracked.status_code == 200
    assert same_but_the_id(tracked.json(), campaign_id, untracked.json(), nobodys)
    assert tracked.json()["targeted"] == tracked.json()["heldOut"] == 0
    assert tracked.json()["excluded"] == {}
    listed = await stack.tracking_svc.get(
        f"/campaigns/{campaign_id}/recipients", params={"withTotal": "true"}, headers=as_other
    )
    assert listed.status_code == 200 and listed.json()["items"] == []
    assert listed.json()["totalCount"] == 0
    # nor are the clinic's patients counted in the other clinic's estimate
    elsewhere = await stack.graphql(ESTIMATE, {"t": TARGETING, "c": CHANNELS}, clinic=other)
    assert elsewhere["data"]["audienceEstimate"]["patients"] == 0


def same_but_the_id(first: Any, first_id: str, second: Any, second_id: str) -> bool:
    """The two answers are the same once the id each was asked about is blanked out."""
    blank = "<id>"
    return json.dumps(first, sort_keys=True).replace(first_id, blank) == json.dumps(
        second, sort_keys=True
    ).replace(second_id, blank)
