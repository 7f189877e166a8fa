"""The campaign state machine: which action may run in which status, and what follows from it.

    DRAFT ──launch──▶ SCHEDULED ──activate (scheduler, at startDate)──▶ ACTIVE ⇄ PAUSED
    DRAFT ──launch (start already reached, or none set: it starts now)──▶ ACTIVE
    SCHEDULED / ACTIVE / PAUSED ──cancel──▶ CANCELLED
    SCHEDULED / ACTIVE / PAUSED ──complete (scheduler, at endDate)──▶ COMPLETED

Only a DRAFT is edited or deleted. Any campaign may be duplicated: copying its content leaves
the original untouched, and the copy starts as a new DRAFT.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from campaign_svc.domain.model import Campaign
from reengage_common.events import CampaignStatus

DRAFT, SCHEDULED, ACTIVE, PAUSED, COMPLETED, CANCELLED = (
    CampaignStatus.DRAFT,
    CampaignStatus.SCHEDULED,
    CampaignStatus.ACTIVE,
    CampaignStatus.PAUSED,
    CampaignStatus.COMPLETED,
    CampaignStatus.CANCELLED,
)
FINISHED = frozenset({COMPLETED, CANCELLED})


class Action(StrEnum):
    EDIT = "edit"
    DELETE = "delete"
    DUPLICATE = "duplicate"
    LAUNCH = "launch"
    ACTIVATE = "activate"
    PAUSE = "pause"
    RESUME = "resume"
    CANCEL = "cancel"
    COMPLETE = "complete"


class EventKind(StrEnum):
    """The topic a transition publishes on."""

    LAUNCHED = "campaign.launched"
    STATUS_CHANGED = "campaign.status_changed"


# Actions that touch the definition, not the status.
CONTENT_ACTIONS = frozenset({Action.EDIT, Action.DELETE, Action.DUPLICATE})

ALLOWED_FROM: Mapping[Action, frozenset[CampaignStatus]] = {
    Action.EDIT: frozenset({DRAFT}),
    Action.DELETE: frozenset({DRAFT}),
    Action.DUPLICATE: frozenset(CampaignStatus),
    Action.LAUNCH: frozenset({DRAFT}),
    Action.ACTIVATE: frozenset({SCHEDULED}),
    Action.PAUSE: frozenset({ACTIVE}),
    Action.RESUME: frozenset({PAUSED}),
    Action.CANCEL: frozenset({SCHEDULED, ACTIVE, PAUSED}),
    Action.COMPLETE: frozenset({SCHEDULED, ACTIVE, PAUSED}),
}

_DONE = {
    Action.EDIT: "edited",
    Action.DELETE: "deleted",
    Action.DUPLICATE: "duplicated",
    Action.LAUNCH: "launched",
    Action.ACTIVATE: "activated",
    Action.PAUSE: "paused",
    Action.RESUME: "resumed",
    Action.CANCEL: "cancelled",
    Action.COMPLETE: "completed",
}


class TransitionNotAllowed(Exception):
    """`action` cannot run on a campaign in `status` (now)."""

    def __init__(self, action: Action, status: CampaignStatus, reason: str | None = None) -> None:
        self.action, self.status = action, status
        article = "an" if status[0] in "AEIOU" else "a"
        if reason is None:
            allowed = [state.value for state in CampaignStatus if state in ALLOWED_FROM[action]]
            reason = f"only {_one_of(allowed)} campaigns can be {_DONE[action]}"
        super().__init__(f"cannot {action} {article} {status} campaign; {reason}")


def _one_of(words: list[str]) -> str:
    return f"{', '.join(words[:-1])} or {words[-1]}" if len(words) > 1 else words[0]


@dataclass(frozen=True)
class Transition:
    """What an action does: the status it leads to and the event to publish (None: no event)."""

    action: Action
    from_status: CampaignStatus
    to_status: CampaignStatus
    event: EventKind | None


def require_allowed(action: Action, status: CampaignStatus) -> None:
    """Raise TransitionNotAllowed unless the table allows `action` from `status`."""
    if status not in ALLOWED_FROM[action]:
        raise TransitionNotAllowed(action, status)


def transition(
    action: Action,
    status: CampaignStatus,
    *,
    now: datetime,
    start: datetime | None = None,
    end: datetime | None = None,
) -> Transition:
    """Decide what `action` does to a campaign in `status`, or raise TransitionNotAllowed.

    `start` (needed by launch and activate) and `end` are the schedule's dates. Edit, delete
    and duplicate leave the status as it is and publish nothing.
    """
    require_allowed(action, status)
    if action in CONTENT_ACTIONS:
        return Transition(action, status, status, None)
    target = _target(action, status, now=now, start=start, end=end)
    # Only the first activation carries the snapshot; a resume is just a status change.
    first_activation = target is ACTIVE and status in {DRAFT, SCHEDULED}
    event = EventKind.LAUNCHED if first_activation else EventKind.STATUS_CHANGED
    return Transition(action, status, target, event)


def _target(
    action: Action,
    status: CampaignStatus,
    *,
    now: datetime,
    start: datetime | None,
    end: datetime | None,
) -> CampaignStatus:
    if action is Action.LAUNCH:
        return ACTIVE if _required(start, "start") <= now else SCHEDULED
    if action is Action.ACTIVATE:
        if _required(start, "start") > now:
            raise TransitionNotAllowed(action, status, f"it starts at {start:%Y-%m-%d %H:%M %Z}")
        return ACTIVE
    if action is Action.COMPLETE:
        if end is None or end > now:
            until = "has no end date" if end is None else f"runs until {end:%Y-%m-%d %H:%M %Z}"
            raise TransitionNotAllowed(action, status, f"it {until}; cancel it to stop it now")
        return COMPLETED
    return {Action.PAUSE: PAUSED, Action.RESUME: ACTIVE, Action.CANCEL: CANCELLED}[action]


def _required(moment: datetime | None, name: str) -> datetime:
    if moment is None:
        raise ValueError(f"the schedule's {name} date is needed to decide this transition")
    return moment


def scheduled_action(
    status: CampaignStatus, *, start: datetime | None, end: datetime | None, now: datetime
) -> Action | None:
    """What the start/end scheduler must do to this campaign now, if anything.

    An end that has passed wins: a SCHEDULED campaign whose end came before it ever started
    completes without sending.
    """
    if status in ALLOWED_FROM[Action.COMPLETE] and end is not None and end <= now:
        return Action.COMPLETE
    # A launch always records the start; a SCHEDULED campaign without one is due at once.
    if status is SCHEDULED and (start is None or start <= now):
        return Action.ACTIVATE
    return None


def record_transition(campaign: Campaign, change: Transition, *, now: datetime) -> Campaign:
    """The campaign after `change`, with its times stamped.

    `launchedAt` is the moment it first went live (as in `campaign.launched`), `completedAt`
    the moment it finished for good, whether completed or cancelled.
    """
    if change.from_status != campaign.status:
        raise ValueError(f"transition from {change.from_status} applied to a {campaign.status}")
    updates: dict[str, object] = {"status": change.to_status, "updated_at": now}
    if change.to_status is ACTIVE and campaign.launched_at is None:
        updates["launched_at"] = now
    if change.to_status in FINISHED:
        updates["completed_at"] = now
    return campaign.model_copy(update=updates)
