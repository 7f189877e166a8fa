"""A household message counts for each member: a due fact each, and a click, reply or
unsubscribe on it is every named member's response."""

from datetime import UTC, datetime

from reengage_common.events import Channel, Envelope, MessageDue, ResponseKind, message_id
from reengage_common.messages import LinkClaims
from tracking_svc.domain.intake import all_facts_of
from tracking_svc.domain.public_responses import click_response, for_household

AT = datetime(2026, 11, 26, 16, tzinfo=UTC)


def test_each_member_of_a_household_message_is_due_under_their_own_message_id() -> None:
    members = [
        {"patientId": p, "messageId": message_id("c-1", p, 1, 1), "patient": {"firstName": n}}
        for p, n in (("p-emma", "Emma"), ("p-liam", "Liam"))
    ]
    due = MessageDue(
        message_id=message_id("c-1", "p-emma", 1, 1),
        campaign_id="c-1",
        patient_id="p-emma",
        sequence=1,
        channel=Channel.EMAIL,
        due_at=AT,
        contact={"email": "grace@example.com"},
        household=members,
    )
    facts = all_facts_of(Envelope.wrap(due, source="audience-svc", clinic_id="cl"))
    assert [(c, f.patient_id, f.key, f.data["fn"]) for c, f in facts] == [
        ("c-1", "p-emma", f"due:{members[0]['messageId']}", "Emma"),
        ("c-1", "p-liam", f"due:{members[1]['messageId']}", "Liam"),
    ]


def test_a_click_on_a_household_message_is_each_members_once() -> None:
    claims = LinkClaims("m-1", "c-1", "p-emma", "cl", Channel.EMAIL)
    click = click_response(claims, Channel.EMAIL)
    responses = for_household(click, ["p-emma", "p-liam"])
    assert [(r.patient_id, r.kind) for r in responses] == [
        ("p-emma", ResponseKind.CLICKED),
        ("p-liam", ResponseKind.CLICKED),
    ]
    assert responses[0].dedupe == click.dedupe  # the one patient's key is unchanged
    assert len({r.dedupe for r in responses}) == 2
    assert for_household(click, []) == [click]
