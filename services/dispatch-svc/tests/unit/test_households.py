"""A household message: each member checked on their own, one message naming the rest, an
outcome per member, the next step for those still named (domain/households.py)."""

from datetime import UTC, datetime

import msgspec

from dispatch_svc.channels.base import Receipt
from dispatch_svc.domain.compose import compose
from dispatch_svc.domain.decisions import Response, ResponsesAndConsents
from dispatch_svc.domain.messages import QueuedMessage
from dispatch_svc.domain.outcomes import not_sent, sent, skip_reasons, with_members_checked
from reengage_common.events import (
    CampaignLaunched,
    Channel,
    MessageTemplate,
    ResponseKind,
    SendOutcome,
    message_id,
)
from reengage_common.messages import BOOKING_CLICK, read_link_token

AT = datetime(2026, 11, 26, 16, tzinfo=UTC)
SNAPSHOT = CampaignLaunched(
    campaign_id="c-1",
    name="Recall",
    targeting={"inactiveDays": 180},
    channels=[Channel.EMAIL, Channel.SMS],
    message_templates=[
        MessageTemplate(
            channel=Channel.EMAIL,
            subject="{{ household.names }} {{ 'are' if household.size > 1 else 'is' }} due",
            body="Hello {{ patient.firstName }}: {{ bookingLink }}",
            sequence=1,
        ),
        MessageTemplate(channel=Channel.SMS, body="Book", sequence=2, delay_days=3),
    ],
    variants=[{"name": "A"}],
    schedule={"startDate": AT},
    launched_at=AT,
)
NAMES = {"p-emma": "Emma", "p-liam": "Liam", "p-noah": "Noah"}


def member(patient_id: str) -> dict:
    return {
        "patientId": patient_id,
        "messageId": message_id("c-1", patient_id, 1, 1),
        "patient": {"firstName": NAMES[patient_id], "lastName": "Hopper"},
    }


HOUSEHOLD = QueuedMessage(
    message_id=message_id("c-1", "p-emma", 1, 1),
    clinic_id="cl",
    campaign_id="c-1",
    patient_id="p-emma",
    run_number=1,
    sequence=1,
    channel=Channel.EMAIL,
    variant="A",
    due_at=AT,
    contact={"name": "Grace Hopper", "email": "grace@example.com", "language": "es"},
    merge_data={"patient": {"firstName": "Emma", "lastName": "Hopper"}},
    incentive_code=None,
    trace_id=None,
    batch_id="b-1",
    shard=0,
    household=[member("p-emma"), member("p-liam"), member("p-noah")],
)


def stopped(*patients: str, kind: ResponseKind = ResponseKind.REBOOKED) -> ResponsesAndConsents:
    return ResponsesAndConsents.of(Response("cl", "c-1", p, kind, Channel.EMAIL) for p in patients)


def test_a_member_who_rebooked_is_no_longer_named_and_the_others_still_get_it() -> None:
    checked = with_members_checked([HOUSEHOLD], stopped("p-emma"))[HOUSEHOLD.message_id]
    assert skip_reasons([checked], stopped("p-emma")) == {}
    outgoing = compose(checked, SNAPSHOT, link_secret="s" * 32, public_base_url="https://t", now=AT)
    # joined in the template's language (the campaign has no Spanish one for this step)
    assert outgoing.subject == "Liam and Noah are due"
    token = outgoing.booking_link.rsplit("/", 1)[1]
    claims = read_link_token("s" * 32, token, BOOKING_CLICK, now=AT)
    assert (claims.patient_id, claims.message_id) == ("p-liam", member("p-liam")["messageId"])


def test_each_member_has_an_outcome_of_their_own_and_the_send_costs_once() -> None:
    checked = with_members_checked([HOUSEHOLD], stopped("p-emma"))[HOUSEHOLD.message_id]
    outcome = sent(checked, Receipt("smtp", "pm-1", 3), SNAPSHOT, attempt=1, retried=False, at=AT)
    sent_events = [e.data for e in outcome.events if e.type == "message.sent"]
    assert [(e.patient_id, e.outcome, e.cost_cents) for e in sent_events] == [
        ("p-emma", SendOutcome.SKIPPED, 0),
        ("p-liam", SendOutcome.SENT, 3),
        ("p-noah", SendOutcome.SENT, 0),
    ]
    assert sent_events[0].reason == "recipient responded (REBOOKED)"
    assert [e.message_id for e in sent_events] == [m["messageId"] for m in HOUSEHOLD.household]
    assert sent_events[1].household == ["p-liam", "p-noah"]
    assert {e.provider_message_id for e in sent_events[1:]} == {"pm-1"}
    [following] = [e.data for e in outcome.events if e.type == "message.due"]
    assert following.patient_id == "p-liam"  # led by the first still named, with their data
    assert following.message_id == message_id("c-1", "p-liam", 1, 2)
    assert following.merge_data["patient"]["firstName"] == "Liam"
    assert [(m.patient_id, m.message_id) for m in following.household] == [
        ("p-liam", message_id("c-1", "p-liam", 1, 2)),
        ("p-noah", message_id("c-1", "p-noah", 1, 2)),
    ]


def test_one_member_left_gets_a_message_of_their_own_next() -> None:
    checked = with_members_checked([HOUSEHOLD], stopped("p-emma", "p-noah"))
    outcome = sent(checked[HOUSEHOLD.message_id], Receipt("smtp", "pm-2", 0), SNAPSHOT,
                   attempt=1, retried=False, at=AT)  # fmt: skip
    [following] = [e.data for e in outcome.events if e.type == "message.due"]
    assert (following.patient_id, following.household) == ("p-liam", [])


def test_when_no_member_is_left_the_message_is_skipped_for_each() -> None:
    opted_out = stopped(*NAMES, kind=ResponseKind.UNSUBSCRIBED)
    checked = with_members_checked([HOUSEHOLD], opted_out)[HOUSEHOLD.message_id]
    assert skip_reasons([checked], opted_out) == {HOUSEHOLD.message_id: "unsubscribed from EMAIL"}
    outcome = not_sent(checked, SendOutcome.SKIPPED, "unsubscribed from EMAIL", attempt=1,
                       retried=False, at=AT)  # fmt: skip
    assert [(e.data.patient_id, e.data.outcome) for e in outcome.events] == [
        (pid, SendOutcome.SKIPPED) for pid in NAMES
    ]


def test_a_message_to_one_patient_is_named_alone() -> None:
    alone = msgspec.structs.replace(HOUSEHOLD, household=[])
    outgoing = compose(alone, SNAPSHOT, link_secret="s" * 32, public_base_url="https://t", now=AT)
    assert outgoing.subject == "Emma is due"
