"""The sender's in-memory queue, and a stored message composed and built into an email."""

import email
import email.policy
from datetime import UTC, datetime, timedelta

from dispatch_svc.channels.email import build_email
from dispatch_svc.domain.campaigns import StatusChange, fold_campaign
from dispatch_svc.domain.compose import compose
from dispatch_svc.sender.index import CampaignQueue
from reengage_common.events import (
    CampaignLaunched,
    CampaignStatus,
    Channel,
    ClinicProfile,
    MessageTemplate,
    Schedule,
    Variant,
)
from reengage_common.messages import UNSUBSCRIBE, read_link_token

NINE_AM_CHICAGO = datetime(2026, 11, 26, 15, tzinfo=UTC)
WALL = datetime(2030, 1, 1, tzinfo=UTC)
SNAPSHOT = CampaignLaunched(
    campaign_id="c-1",
    name="Recall",
    targeting={"inactiveDays": 180},
    channels=[Channel.EMAIL],
    message_templates=[
        MessageTemplate(
            channel=Channel.EMAIL,
            subject="We miss you, {{ patient.firstName }}",
            body="Hi {{ patient.firstName }}. {{ incentive.code }}: {{ bookingLink }}",
            sequence=1,
        )
    ],
    variants=[Variant(name="A")],
    schedule=Schedule(start_date=NINE_AM_CHICAGO, send_times=["10:00"], timezone="America/Chicago"),
    incentive={"hasIncentive": True, "incentiveDetails": "20% off", "incentiveCode": "SMILE20"},
    launched_at=NINE_AM_CHICAGO,
    clinic=ClinicProfile(name="Bright Smiles", address="100 Main Street, Springfield"),
)


def message(n: int, timezone: str = "America/Chicago") -> dict:
    return {
        "_id": f"m-{n}",
        "clinic_id": "cl",
        "campaign_id": "c-1",
        "patient_id": f"p-{n}",
        "run_number": 1,
        "sequence": 1,
        "channel": "EMAIL",
        "variant": "A",
        "due_at": NINE_AM_CHICAGO,
        "contact": {"email": f"p{n}@x.example", "timezone": timezone},
        "merge_data": {"patient": {"firstName": "Ada"}},
        "incentive_code": None,
    }


def test_messages_come_due_at_their_slot_once() -> None:
    state = fold_campaign([SNAPSHOT], [])
    queue = CampaignQueue("c-1")
    assert queue.add([message(1), message(2, "Pacific/Honolulu")], state) == 2
    assert queue.add([message(1)], state) == 0, "a message already held is not added twice"
    assert queue.due(state, "EMAIL", NINE_AM_CHICAGO, 10, WALL) == []
    ten = NINE_AM_CHICAGO + timedelta(hours=1)
    taken = queue.due(state, "EMAIL", ten, 10, WALL)
    assert [entry.message_id for entry in taken] == ["m-1"]  # Honolulu sleeps at 06:00
    queue.finish("m-1")
    assert queue.add([message(1)], state) == 0, "a finished message is never queued again"
    assert queue.due(state, "SMS", ten, 10, WALL) == []


def test_messages_held_by_a_pause_go_at_the_first_slot_after_the_resume() -> None:
    resumed = NINE_AM_CHICAGO + timedelta(hours=2)  # 11:00 Chicago
    state = fold_campaign(
        [SNAPSHOT],
        [
            StatusChange(NINE_AM_CHICAGO + timedelta(minutes=5), CampaignStatus.PAUSED),
            StatusChange(resumed, CampaignStatus.ACTIVE),
        ],
    )
    queue = CampaignQueue("c-1")
    queue.add([message(1)], state)
    assert queue.due(state, "EMAIL", resumed, 10, WALL) == []
    next_morning = NINE_AM_CHICAGO + timedelta(days=1, hours=1)
    assert [e.message_id for e in queue.due(state, "EMAIL", next_morning, 10, WALL)] == ["m-1"]


def test_a_message_claimed_elsewhere_waits_for_the_claim_to_expire() -> None:
    state = fold_campaign([SNAPSHOT], [])
    queue = CampaignQueue("c-1")
    queue.add([message(1)], state)
    queue.parked["m-1"] = WALL + timedelta(seconds=30)
    ten = NINE_AM_CHICAGO + timedelta(hours=1)
    assert queue.due(state, "EMAIL", ten, 10, WALL) == []
    later = WALL + timedelta(seconds=31)
    assert queue.expired_parks(later) == ["m-1"]
    queue.parked.clear()
    assert [e.message_id for e in queue.due(state, "EMAIL", ten, 10, later)] == ["m-1"]


def test_a_composed_email_carries_signed_links_the_incentive_and_the_postal_footer() -> None:
    outgoing = compose(
        message(1), SNAPSHOT, link_secret="s" * 40, public_base_url="https://l.example", now=WALL
    )
    assert outgoing.subject == "We miss you, Ada"
    assert "SMILE20" in outgoing.text and "100 Main Street, Springfield" in outgoing.text
    token = outgoing.unsubscribe_link.removeprefix("https://l.example/u/")
    claims = read_link_token("s" * 40, token, UNSUBSCRIBE, now=WALL)
    assert (claims.message_id, claims.patient_id, claims.channel) == ("m-1", "p-1", Channel.EMAIL)
    raw = build_email(outgoing, sender="Clinic <hi@clinic.example>", mailto=None)
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["List-Unsubscribe"] == f"<{outgoing.unsubscribe_link}>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["Message-ID"] == "<m-1@clinic.example>"
    assert parsed.get_body(("plain",)).get_content().replace("\r\n", "\n") == outgoing.text
