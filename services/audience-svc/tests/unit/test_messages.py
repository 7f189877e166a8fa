"""The fan-out's fast serializer writes exactly the bytes of the pydantic events."""

from datetime import UTC, datetime

import pytest

from audience_svc.domain.facts import fold
from audience_svc.domain.messages import PlanEvents, recipient_event
from audience_svc.domain.targeting import Selected
from reengage_common.events import CampaignLaunched, MessageTemplate

AT = datetime(2026, 11, 26, 15, 0, 0, 123456, tzinfo=UTC)
EMAIL = MessageTemplate(channel="EMAIL", subject="s", body="b", sequence=1)
SMS = MessageTemplate(channel="SMS", body="b", sequence=2, variant="B")


def launched(**changes) -> CampaignLaunched:
    return CampaignLaunched.model_validate(
        {
            "campaignId": "c-1",
            "name": "Recall",
            "targeting": {"inactiveDays": 180},
            "channels": ["EMAIL", "SMS"],
            "messageTemplates": [{"channel": "EMAIL", "body": "b", "sequence": 1}],
            "schedule": {"startDate": AT.isoformat(), "timezone": "America/Denver"},
            "launchedAt": AT.isoformat(),
            "runNumber": 3,
            "variants": [{"name": "A", "weight": 1}, {"name": "B", "weight": 1}],
            **changes,
        }
    )


def state(**profile) -> dict:
    facts = [
        {"k": "p", "pid": "p-1", "t": 1.0, "i": "e", "d": profile},
        {"k": "a", "pid": "p-1", "t": 2.0, "i": "v", "ap": "a", "st": "COMPLETED", "s": 1.7e9},
    ]
    states: dict = {}
    fold(states, facts)
    return states["p-1"]


PROFILES = [
    {"firstName": "Zoë", "lastName": 'O"Brien \\ ✓', "email": "z@example.com", "timezone": None},
    {
        "firstName": "Ada",
        "phone": "+15551230001",
        "address": {
            "line1": "1 Main",
            "line2": None,
            "city": "Springfield",
            "state": "IL",
            "postalCode": "62701",
            "country": "US",
        },
        "treatmentStage": "RETENTION",
        "guardian": {"name": "Grace Hopper", "email": "g@example.com", "phone": None},
        "timezone": "America/Chicago",
    },
    {},
]
CAMPAIGNS = [
    launched(),
    launched(
        incentive={"hasIncentive": True, "incentiveDetails": "20% off", "incentiveCode": "S20"},
        clinic={
            "name": "Bright Smiles",
            "phone": "(555) 010-0100",
            "address": "1 Main",
            "timezone": "America/New_York",
        },
    ),
    launched(
        clinic={
            "name": "Bright Smiles",
            "address": {"line1": "1 Main", "city": "Springfield", "postalCode": "62701"},
            "timezone": "America/Chicago",
        },
    ),
]


@pytest.mark.parametrize("campaign", CAMPAIGNS)
@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("minor", [False, True])
@pytest.mark.parametrize("trace_id", [None, "t-1"])
def test_the_fast_events_are_the_pydantic_bytes(campaign, profile, minor, trace_id) -> None:
    patient = state(**profile)
    fast = PlanEvents(campaign, "clinic-a", due_at=AT, trace_id=trace_id)
    for step, held in ((EMAIL, False), (SMS, False), (EMAIL, True)):
        chosen = Selected("p-1", step.variant or "A", step, held, minor)
        slow = recipient_event(campaign, "clinic-a", chosen, patient, due_at=AT, trace_id=trace_id)
        if held:
            made = fast.held_out("p-1", chosen.variant)
        else:
            made = fast.due("p-1", chosen.variant, step, minor, patient)
        assert made.encode() == slow.to_json()


@pytest.mark.parametrize("campaign", CAMPAIGNS)
def test_a_household_message_is_the_pydantic_bytes_too(campaign) -> None:
    lead, sibling = state(**PROFILES[1]), state(firstName="Liam", lastName="Hopper")
    members = [("p-1", lead), ("p-2", sibling)]
    fast = PlanEvents(campaign, "clinic-a", due_at=AT, trace_id=None)
    chosen = Selected("p-1", "A", EMAIL, False, True)
    slow = recipient_event(
        campaign, "clinic-a", chosen, lead, due_at=AT, trace_id=None, household=members
    )
    assert fast.due("p-1", "A", EMAIL, True, lead, members).encode() == slow.to_json()
    named = slow.data.household
    names = [(m.patient_id, m.patient["firstName"]) for m in named]
    assert names == [("p-1", "Ada"), ("p-2", "Liam")]
    # each member keeps the messageId their own message would have had
    assert named[0].message_id == slow.data.message_id
