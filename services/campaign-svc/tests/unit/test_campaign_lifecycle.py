from datetime import datetime, timedelta

import pytest

from campaign_svc.domain.lifecycle import (
    Action,
    EventKind,
    Transition,
    TransitionNotAllowed,
    record_transition,
    scheduled_action,
    transition,
)
from campaign_svc.domain.model import Campaign
from reengage_common.events import (
    CampaignLaunched,
    CampaignStatus,
    CampaignStatusChanged,
    Schedule,
    Targeting,
)

DRAFT, SCHEDULED, ACTIVE, PAUSED, COMPLETED, CANCELLED = (
    CampaignStatus.DRAFT,
    CampaignStatus.SCHEDULED,
    CampaignStatus.ACTIVE,
    CampaignStatus.PAUSED,
    CampaignStatus.COMPLETED,
    CampaignStatus.CANCELLED,
)
LAUNCHED, STATUS_CHANGED = EventKind.LAUNCHED, EventKind.STATUS_CHANGED
HOUR = timedelta(hours=1)

# Written out by hand, not derived from the code's table: every allowed (action, status) pair
# with the status it leads to and the event it publishes. Every pair missing here is refused.
# Times are such that the action is due: the start and the end have both passed.
ALLOWED: dict[tuple[Action, CampaignStatus], tuple[CampaignStatus, EventKind | None]] = {
    (Action.EDIT, DRAFT): (DRAFT, None),
    (Action.DELETE, DRAFT): (DRAFT, None),
    **{(Action.DUPLICATE, status): (status, None) for status in CampaignStatus},
    (Action.LAUNCH, DRAFT): (ACTIVE, LAUNCHED),
    (Action.ACTIVATE, SCHEDULED): (ACTIVE, LAUNCHED),
    (Action.PAUSE, ACTIVE): (PAUSED, STATUS_CHANGED),
    (Action.RESUME, PAUSED): (ACTIVE, STATUS_CHANGED),
    (Action.CANCEL, SCHEDULED): (CANCELLED, STATUS_CHANGED),
    (Action.CANCEL, ACTIVE): (CANCELLED, STATUS_CHANGED),
    (Action.CANCEL, PAUSED): (CANCELLED, STATUS_CHANGED),
    (Action.COMPLETE, SCHEDULED): (COMPLETED, STATUS_CHANGED),
    (Action.COMPLETE, ACTIVE): (COMPLETED, STATUS_CHANGED),
    (Action.COMPLETE, PAUSED): (COMPLETED, STATUS_CHANGED),
}
EVERY_PAIR = [(action, status) for action in Action for status in CampaignStatus]


@pytest.mark.parametrize(("action", "status"), EVERY_PAIR)
def test_every_action_in_every_status(
    action: Action, status: CampaignStatus, now: datetime
) -> None:
    if (action, status) in ALLOWED:
        to_status, event = ALLOWED[action, status]

        change = transition(action, status, now=now, start=now - HOUR, end=now - HOUR)

        assert change == Transition(action, status, to_status, event)
    else:
        with pytest.raises(TransitionNotAllowed) as refused:
            transition(action, status, now=now, start=now - HOUR, end=now - HOUR)

        assert (refused.value.action, refused.value.status) == (action, status)


def test_the_matrix_covers_nine_actions_and_six_statuses() -> None:
    assert len(EVERY_PAIR) == 54


def test_a_refusal_says_what_would_be_allowed(now: datetime) -> None:
    with pytest.raises(TransitionNotAllowed) as refused:
        transition(Action.PAUSE, DRAFT, now=now)

    assert str(refused.value) == (
        "cannot pause a DRAFT campaign; only ACTIVE campaigns can be paused"
    )


def test_a_refusal_lists_several_allowed_statuses(now: datetime) -> None:
    with pytest.raises(TransitionNotAllowed) as refused:
        transition(Action.CANCEL, COMPLETED, now=now)

    assert str(refused.value) == (
        "cannot cancel a COMPLETED campaign; only SCHEDULED, ACTIVE or PAUSED campaigns can be "
        "cancelled"
    )


def test_editing_a_live_campaign_is_refused(now: datetime) -> None:
    with pytest.raises(TransitionNotAllowed) as refused:
        transition(Action.EDIT, ACTIVE, now=now)

    assert str(refused.value) == (
        "cannot edit an ACTIVE campaign; only DRAFT campaigns can be edited"
    )


def test_launching_before_the_start_schedules_the_campaign(now: datetime) -> None:
    change = transition(Action.LAUNCH, DRAFT, now=now, start=now + HOUR)

    assert change == Transition(Action.LAUNCH, DRAFT, SCHEDULED, STATUS_CHANGED)


def test_launching_at_the_start_activates_the_campaign(now: datetime) -> None:
    change = transition(Action.LAUNCH, DRAFT, now=now, start=now)

    assert change == Transition(Action.LAUNCH, DRAFT, ACTIVE, LAUNCHED)


def test_activating_before_the_start_is_refused(now: datetime) -> None:
    with pytest.raises(TransitionNotAllowed, match="it starts at 2026-06-15 13:00 UTC"):
        transition(Action.ACTIVATE, SCHEDULED, now=now, start=now + HOUR)


def test_completing_before_the_end_is_refused(now: datetime) -> None:
    with pytest.raises(TransitionNotAllowed, match="runs until"):
        transition(Action.COMPLETE, ACTIVE, now=now, start=now - HOUR, end=now + HOUR)


def test_a_campaign_without_an_end_never_completes(now: datetime) -> None:
    with pytest.raises(TransitionNotAllowed, match="has no end date"):
        transition(Action.COMPLETE, ACTIVE, now=now, start=now - HOUR, end=None)


def test_launching_needs_the_start_date(now: datetime) -> None:
    with pytest.raises(ValueError, match="start date"):
        transition(Action.LAUNCH, DRAFT, now=now)


def test_event_kinds_are_the_topics() -> None:
    assert CampaignLaunched.topic == EventKind.LAUNCHED
    assert CampaignStatusChanged.topic == EventKind.STATUS_CHANGED


# --- the scheduler --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "start", "end", "expected"),
    [
        (SCHEDULED, -HOUR, HOUR, Action.ACTIVATE),
        (SCHEDULED, HOUR, 2 * HOUR, None),
        (SCHEDULED, -2 * HOUR, -HOUR, Action.COMPLETE),
        (SCHEDULED, -HOUR, None, Action.ACTIVATE),
        (ACTIVE, -HOUR, HOUR, None),
        (ACTIVE, -2 * HOUR, -HOUR, Action.COMPLETE),
        (ACTIVE, -2 * HOUR, timedelta(0), Action.COMPLETE),
        (PAUSED, -2 * HOUR, -HOUR, Action.COMPLETE),
        (ACTIVE, -HOUR, None, None),
        (DRAFT, -2 * HOUR, -HOUR, None),
        (COMPLETED, -2 * HOUR, -HOUR, None),
        (CANCELLED, -2 * HOUR, -HOUR, None),
    ],
)
def test_what_the_scheduler_does(
    status: CampaignStatus,
    start: timedelta,
    end: timedelta | None,
    expected: Action | None,
    now: datetime,
) -> None:
    due = scheduled_action(
        status, start=now + start, end=None if end is None else now + end, now=now
    )

    assert due == expected


# --- stamping times -------------------------------------------------------------------------


def stored_campaign(status: CampaignStatus, at: datetime, **times: datetime) -> Campaign:
    return Campaign(
        id="c-1",
        name="Spring recall",
        targeting=Targeting(inactive_days=180),
        channels=["SMS"],
        message_templates=[{"channel": "SMS", "body": "Hi", "sequence": 1}],
        schedule=Schedule(start_date=at),
        status=status,
        created_at=at,
        updated_at=at,
        **times,
    )


def test_going_live_stamps_launched_at(now: datetime) -> None:
    campaign = stored_campaign(SCHEDULED, now - HOUR)
    change = transition(Action.ACTIVATE, SCHEDULED, now=now, start=now)

    live = record_transition(campaign, change, now=now)

    assert (live.status, live.launched_at, live.updated_at) == (ACTIVE, now, now)


def test_resuming_keeps_the_first_launch_time(now: datetime) -> None:
    campaign = stored_campaign(PAUSED, now - 2 * HOUR, launched_at=now - 2 * HOUR)

    resumed = record_transition(campaign, transition(Action.RESUME, PAUSED, now=now), now=now)

    assert resumed.launched_at == now - 2 * HOUR


def test_cancelling_stamps_completed_at(now: datetime) -> None:
    campaign = stored_campaign(ACTIVE, now - HOUR)

    cancelled = record_transition(campaign, transition(Action.CANCEL, ACTIVE, now=now), now=now)

    assert (cancelled.status, cancelled.completed_at) == (CANCELLED, now)


def test_a_transition_decided_for_another_status_is_not_applied(now: datetime) -> None:
    campaign = stored_campaign(PAUSED, now - HOUR)

    with pytest.raises(ValueError, match="applied to a PAUSED"):
        record_transition(campaign, transition(Action.PAUSE, ACTIVE, now=now), now=now)
