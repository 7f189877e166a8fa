"""Campaign status folded from records in any order; what it means for queued messages;
responses and opt-outs just before a send; the next step of a sequence."""

from datetime import UTC, datetime, timedelta

from dispatch_svc.domain.campaigns import (
    StatusChange,
    Verdict,
    fold_campaign,
    next_step,
    verdict,
)
from dispatch_svc.domain.decisions import Response, ResponsesAndConsents
from dispatch_svc.domain.events import next_step_due, sent_event
from dispatch_svc.domain.messages import QueuedMessage
from reengage_common.events import (
    CampaignLaunched,
    CampaignStatus,
    Channel,
    MessageTemplate,
    ResponseKind,
    Schedule,
    SendOutcome,
    Variant,
    message_id,
    parse,
)

LAUNCHED_AT = datetime(2026, 11, 26, 15, tzinfo=UTC)
STEPS = [
    MessageTemplate(channel=Channel.EMAIL, subject="Hi", body="Hello", sequence=1),
    MessageTemplate(channel=Channel.SMS, body="Book", sequence=2, delay_days=3),
    MessageTemplate(channel=Channel.SMS, body="B first", sequence=1, variant="B"),
]


def snapshot(end: datetime | None = None, run: int = 1) -> CampaignLaunched:
    return CampaignLaunched(
        campaign_id="c-1",
        name="Recall",
        targeting={"inactiveDays": 180},
        channels=[Channel.EMAIL, Channel.SMS],
        message_templates=STEPS,
        variants=[Variant(name="A"), Variant(name="B")],
        schedule=Schedule(start_date=LAUNCHED_AT, end_date=end),
        launched_at=LAUNCHED_AT,
        run_number=run,
    )


def at(minutes: int) -> datetime:
    return LAUNCHED_AT + timedelta(minutes=minutes)


def test_status_is_folded_by_time_whatever_order_records_arrive_in() -> None:
    changes = [
        StatusChange(at(20), CampaignStatus.ACTIVE),
        StatusChange(at(10), CampaignStatus.PAUSED),
    ]
    state = fold_campaign([snapshot()], changes)
    assert state is not None
    assert (state.status, state.active_since) == (CampaignStatus.ACTIVE, at(20))
    paused = fold_campaign([snapshot()], [StatusChange(at(10), CampaignStatus.PAUSED)])
    assert paused is not None and paused.status is CampaignStatus.PAUSED
    assert fold_campaign([], changes) is None, "nothing is sent before the snapshot arrives"


def test_the_latest_run_wins_and_changes_before_it_are_history() -> None:
    later = snapshot(run=2).model_copy(update={"launched_at": at(60)})
    state = fold_campaign([snapshot(), later], [StatusChange(at(5), CampaignStatus.PAUSED)])
    assert state is not None and state.snapshot.run_number == 2
    assert state.status is CampaignStatus.ACTIVE


def test_verdicts() -> None:
    active = fold_campaign([snapshot(end=at(100))], [])
    assert verdict(active, at(50)) == (Verdict.SEND, None)
    assert verdict(active, at(100)) == (Verdict.SKIP, "campaign ended (endDate passed)")
    paused = fold_campaign([snapshot()], [StatusChange(at(1), CampaignStatus.PAUSED)])
    assert verdict(paused, at(50)) == (Verdict.HOLD, None)
    for status, reason in (
        (CampaignStatus.CANCELLED, "campaign cancelled"),
        (CampaignStatus.COMPLETED, "campaign completed"),
    ):
        state = fold_campaign([snapshot()], [StatusChange(at(1), status)])
        assert verdict(state, at(50)) == (Verdict.SKIP, reason)


def test_responses_stop_the_sequence_and_opt_outs_hold_across_campaigns() -> None:
    responses = ResponsesAndConsents.of(
        [
            Response("cl", "c-1", "p-answered", ResponseKind.NOT_INTERESTED, Channel.SMS),
            Response("cl", "c-1", "p-clicked", ResponseKind.CLICKED, Channel.EMAIL),
            Response("cl", "c-other", "p-sms-off", ResponseKind.UNSUBSCRIBED, Channel.SMS),
            Response("cl", "c-other", "p-all-off", ResponseKind.UNSUBSCRIBED, None),
        ]
    )
    assert responses.skip_reason("c-1", "p-answered", Channel.EMAIL) == (
        "recipient responded (NOT_INTERESTED)"
    )
    assert responses.skip_reason("c-2", "p-answered", Channel.EMAIL) is None
    assert responses.skip_reason("c-1", "p-clicked", Channel.EMAIL) is None
    assert responses.skip_reason("c-1", "p-sms-off", Channel.SMS) == "unsubscribed from SMS"
    assert responses.skip_reason("c-1", "p-sms-off", Channel.EMAIL) is None
    assert responses.skip_reason("c-1", "p-all-off", Channel.MAIL) == "unsubscribed from MAIL"


MESSAGE = QueuedMessage(
    message_id=message_id("c-1", "p-1", 1, 1),
    clinic_id="cl",
    campaign_id="c-1",
    patient_id="p-1",
    run_number=1,
    sequence=1,
    channel=Channel.EMAIL,
    variant="A",
    due_at=at(0),
    contact={"email": "p@x.example", "timezone": "America/New_York"},
    merge_data={"patient": {"firstName": "Ada"}},
    incentive_code="SMILE20",
    trace_id="t-1",
    batch_id="b-1",
    shard=0,
)


def test_the_next_step_is_due_delay_days_after_the_send_with_a_deterministic_id() -> None:
    sent_at = at(60)
    following = next_step_due(MESSAGE, snapshot(), sent_at)
    assert following is not None
    assert following.data.message_id == message_id("c-1", "p-1", 1, 2)
    assert (following.data.sequence, following.data.channel) == (2, Channel.SMS)
    assert following.data.due_at == sent_at + timedelta(days=3)
    assert following.data.contact.timezone == "America/New_York"
    assert following.id == next_step_due(MESSAGE, snapshot(), at(90)).id
    assert next_step(snapshot(), "A", 2) is None
    assert next_step(snapshot(), "B", 1) is None


def test_message_sent_matches_the_contract() -> None:
    envelope = sent_event(
        MESSAGE, SendOutcome.SENT, at=at(1), attempt=2, provider="smtp", retried=True
    )
    parsed = parse(envelope.to_document(), "message.sent")
    assert parsed.key == "p-1" and parsed.clinic_id == "cl" and parsed.trace_id == "t-1"
    assert parsed.data.retried and parsed.data.outcome is SendOutcome.SENT
    again = sent_event(MESSAGE, SendOutcome.SENT, at=at(5), attempt=2)
    assert again.id == envelope.id, "a replayed outcome has the same envelope id"


def test_a_campaign_is_settled_a_day_after_it_ended() -> None:
    """A replica taking a shard over reads the messages of campaigns not settled only."""
    cancelled_at = LAUNCHED_AT + timedelta(hours=2)
    state = fold_campaign([snapshot()], [StatusChange(cancelled_at, CampaignStatus.CANCELLED)])
    assert state is not None and state.ended_at == cancelled_at
    assert not state.settled(cancelled_at + timedelta(hours=23))
    assert state.settled(cancelled_at + timedelta(days=1))
    running = fold_campaign([snapshot()], [])
    assert running is not None and not running.settled(LAUNCHED_AT + timedelta(days=400))
    ending = fold_campaign([snapshot(end=LAUNCHED_AT + timedelta(days=30))], [])
    assert ending is not None and ending.settled(LAUNCHED_AT + timedelta(days=31))
