"""The sender's in-memory queue, and a stored message composed and built into an email."""

import email
import email.policy
import tracemalloc
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest

from dispatch_svc.channels.email import build_email
from dispatch_svc.channels.mail import lob_address
from dispatch_svc.domain.campaigns import StatusChange, fold_campaign
from dispatch_svc.domain.compose import CannotCompose, compose
from dispatch_svc.domain.messages import QueuedMessage
from dispatch_svc.sender.index import CampaignQueue, slot_for, window_of
from reengage_common.events import (
    Address,
    CampaignLaunched,
    CampaignStatus,
    Channel,
    ClinicProfile,
    MessageTemplate,
    QuietHours,
    Schedule,
    Variant,
)
from reengage_common.messages import UNSUBSCRIBE, compile_step, read_link_token

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
    clinic=ClinicProfile(
        name="Bright Smiles",
        address=Address(
            line1="100 Main Street",
            city="Springfield",
            state="IL",
            postal_code="62701",
            country="US",
        ),
        timezone="America/Chicago",
        website="https://brightsmiles.example",
    ),
)


def message(n: int, timezone: str = "America/Chicago") -> QueuedMessage:
    return QueuedMessage(
        message_id=f"m-{n}",
        clinic_id="cl",
        campaign_id="c-1",
        patient_id=f"p-{n}",
        run_number=1,
        sequence=1,
        channel=Channel.EMAIL,
        variant="A",
        due_at=NINE_AM_CHICAGO,
        contact={"email": f"p{n}@x.example", "timezone": timezone},
        merge_data={"patient": {"firstName": "Ada"}},
        incentive_code=None,
        trace_id=None,
        batch_id="b-1",
        shard=0,
    )


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
    assert "SMILE20" in outgoing.text
    assert outgoing.text.endswith(
        "--\nBright Smiles\n100 Main Street\nSpringfield, IL 62701\nUS\nhttps://brightsmiles.example"
    )
    token = outgoing.unsubscribe_link.removeprefix("https://l.example/u/")
    claims = read_link_token("s" * 40, token, UNSUBSCRIBE, now=WALL)
    assert (claims.message_id, claims.patient_id, claims.channel) == ("m-1", "p-1", Channel.EMAIL)
    raw = build_email(outgoing, sender="Clinic <hi@clinic.example>", mailto=None)
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["List-Unsubscribe"] == f"<{outgoing.unsubscribe_link}>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["Message-ID"] == "<m-1@clinic.example>"
    assert parsed.get_body(("plain",)).get_content().replace("\r\n", "\n") == outgoing.text


def test_every_line_of_a_built_email_ends_crlf_whatever_line_ends_the_text_had() -> None:
    # the SMTP channel sends these bytes as they are, doubling only the dots after a CRLF
    outgoing = compose(
        message(1), SNAPSHOT, link_secret="s" * 40, public_base_url="https://l.example", now=WALL
    )
    mixed = "unix\nmac\rwindows\r\n.leading dot\n.\n..two"
    raw = build_email(
        replace(outgoing, text=mixed, html=f"<p>{mixed}</p>", subject="a\rb\nc"),
        sender="Clinic <hi@clinic.example>",
        mailto=None,
    )
    assert raw.count(b"\n") == raw.count(b"\r\n") == raw.count(b"\r")
    assert raw.endswith(b"\r\n") and not raw.startswith(b".")
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    text = parsed.get_body(("plain",)).get_content()
    assert ".leading dot" in text and "\n..two" in text.replace("\r\n", "\n")


def test_a_message_rendering_past_its_limit_fails_with_a_reason_without_building_it() -> None:
    # A snapshot launched before details were bounded, or a patient field as long as an old
    # import let it be: the step repeats it far past the email limit (~190 MB unbounded).
    step = SNAPSHOT.message_templates[0].model_copy(update={"body": "{{incentive.details}}" * 950})
    incentive = SNAPSHOT.incentive.model_copy(update={"incentive_details": "x" * 200_000})
    snapshot = SNAPSHOT.model_copy(update={"message_templates": [step], "incentive": incentive})
    compile_step(step)  # compiled once per campaign (cached): not what is measured here
    tracemalloc.start()
    try:
        with pytest.raises(CannotCompose, match="body is longer than 100,000 characters"):
            compose(
                message(1),
                snapshot,
                link_secret="s" * 40,
                public_base_url="https://l.example",
                now=WALL,
            )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000


def test_a_snapshot_from_before_profiles_still_composes_with_its_one_line_address() -> None:
    legacy = SNAPSHOT.model_dump(mode="json", by_alias=True)
    legacy["clinic"] = {"name": "Old Clinic", "address": "1 Elm St, Springfield", "timezone": "UTC"}
    snapshot = CampaignLaunched.model_validate(legacy)
    outgoing = compose(
        message(1), snapshot, link_secret="s" * 40, public_base_url="https://l.example", now=WALL
    )
    assert outgoing.text.endswith("--\nOld Clinic\n1 Elm St, Springfield")
    assert outgoing.clinic.email_from is None  # the channel falls back to EMAIL_FROM


def test_the_clinics_quiet_hours_narrow_the_window_and_never_widen_it() -> None:
    def first_slot(quiet_hours: QuietHours) -> datetime:
        clinic = SNAPSHOT.clinic.model_copy(update={"quiet_hours": quiet_hours})
        snapshot = SNAPSHOT.model_copy(update={"clinic": clinic})
        state = fold_campaign([snapshot], [])
        return slot_for(message(1), state, None)

    ten_chicago = datetime(2026, 11, 26, 16, tzinfo=UTC)
    assert first_slot(QuietHours()) == ten_chicago
    # Opening at 11:00, the 10:00 send time waits for the window: 11:00 Chicago.
    assert first_slot(QuietHours(start="11:00")) == ten_chicago + timedelta(hours=1)
    # A snapshot claiming 06:00-23:00 is held to 08:00-21:00.
    assert window_of(fold_campaign([SNAPSHOT], [])) == (time(8), time(21))
    wide = SNAPSHOT.clinic.model_copy(
        update={"quiet_hours": QuietHours(start="06:00", end="23:00")}
    )
    assert window_of(fold_campaign([SNAPSHOT.model_copy(update={"clinic": wide})], [])) == (
        time(8),
        time(21),
    )


def test_the_letter_comes_from_the_clinics_postal_address() -> None:
    assert lob_address("Bright Smiles", SNAPSHOT.clinic.address) == {
        "company": "Bright Smiles",
        "address_line1": "100 Main Street",
        "address_city": "Springfield",
        "address_state": "IL",
        "address_zip": "62701",
        "address_country": "US",
    }
