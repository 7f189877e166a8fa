"""A campaign as dispatch sees it: its snapshot, its status over time, and its steps.

Status events and the snapshot travel on two topics, so they may arrive in either order; the
status is therefore folded from every record by its time, never from arrival order:

    launched (ACTIVE) ──paused──▶ PAUSED ──resumed──▶ ACTIVE ──▶ CANCELLED | COMPLETED
                                        └─────────────────────────▶ CANCELLED

PAUSED holds what is queued, ACTIVE sends it, CANCELLED and COMPLETED skip it, and so does an
ACTIVE campaign past its `endDate`.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from reengage_common.events import (
    CampaignLaunched,
    CampaignStatus,
    Channel,
    MessageTemplate,
    ResponseKind,
)


@dataclass(frozen=True)
class StatusChange:
    at: datetime
    to: CampaignStatus


@dataclass(frozen=True)
class CampaignState:
    snapshot: CampaignLaunched
    status: CampaignStatus
    # The last time the campaign went (back) to ACTIVE: held messages go at a slot after it.
    active_since: datetime
    # When it was CANCELLED or COMPLETED, if it was
    ended_at: datetime | None = None

    @property
    def campaign_id(self) -> str:
        return self.snapshot.campaign_id

    def settled(self, now: datetime) -> bool:
        """Over for more than `SETTLED_AFTER`: whatever it had queued was skipped long ago,
        so a replica taking a shard over does not read its messages."""
        ends = [self.ended_at, self.snapshot.schedule.end_date]
        ended = min((end for end in ends if end is not None), default=None)
        return ended is not None and now >= ended + SETTLED_AFTER


# A campaign over for this long has nothing queued: its leftovers were skipped at its end.
SETTLED_AFTER = timedelta(days=1)


class Verdict(StrEnum):
    SEND = "SEND"
    HOLD = "HOLD"
    SKIP = "SKIP"


def fold_campaign(
    launches: Iterable[CampaignLaunched], changes: Iterable[StatusChange]
) -> CampaignState | None:
    """The campaign's current state; None until its snapshot has arrived."""
    latest = max(launches, key=lambda launch: launch.run_number, default=None)
    if latest is None:
        return None
    timeline = [StatusChange(latest.launched_at, CampaignStatus.ACTIVE)]
    timeline += sorted(changes, key=lambda change: change.at)
    # A launch and a change at the same instant: the change came after the launch.
    status, active_since = CampaignStatus.ACTIVE, latest.launched_at
    ended_at: datetime | None = None
    for change in timeline:
        if change.at < latest.launched_at:
            continue
        status = change.to
        if change.to is CampaignStatus.ACTIVE:
            active_since = change.at
        if change.to in ENDED and ended_at is None:
            ended_at = change.at
    return CampaignState(latest, status, active_since, ended_at)


ENDED = frozenset({CampaignStatus.CANCELLED, CampaignStatus.COMPLETED})


def verdict(state: CampaignState, now: datetime) -> tuple[Verdict, str | None]:
    """Whether queued messages may go now, wait, or are skipped (with the reason)."""
    if state.status is CampaignStatus.CANCELLED:
        return Verdict.SKIP, "campaign cancelled"
    if state.status is CampaignStatus.COMPLETED:
        return Verdict.SKIP, "campaign completed"
    end = state.snapshot.schedule.end_date
    if end is not None and now >= end:
        return Verdict.SKIP, "campaign ended (endDate passed)"
    if state.status is CampaignStatus.PAUSED:
        return Verdict.HOLD, None
    if state.status is CampaignStatus.ACTIVE:
        return Verdict.SEND, None
    return Verdict.HOLD, None  # SCHEDULED or DRAFT: nothing goes before activation


def step_of(snapshot: CampaignLaunched, variant: str, sequence: int) -> MessageTemplate | None:
    for step in snapshot.message_templates:
        if step.variant == variant and step.sequence == sequence:
            return step
    return None


def falls_back_from(snapshot: CampaignLaunched) -> frozenset[Channel]:
    """The channels whose failure the campaign's channelFallback takes (issue 22 #8)."""
    return frozenset(rule.channel for rule in snapshot.channel_fallback)


def fallback_template(
    snapshot: CampaignLaunched, variant: str, sequence: int, to: Channel
) -> MessageTemplate | None:
    """A channel fallback's template for step `sequence` going by `to`: the rule from the
    step's own channel to `to`, as a step of that channel (so it composes as one)."""
    step = step_of(snapshot, variant, sequence)
    if step is None:
        return None
    for rule in snapshot.channel_fallback:
        if rule.channel is step.channel and rule.to is to:
            return MessageTemplate(
                channel=to,
                subject=rule.subject,
                body=rule.body,
                sequence=sequence,
                delay_days=step.delay_days,
                variant=variant,
            )
    return None


def next_step(snapshot: CampaignLaunched, variant: str, sequence: int) -> MessageTemplate | None:
    """Step n+1 of the same variant, due `delayDays` after step n was sent."""
    return step_of(snapshot, variant, sequence + 1)


# A click shows interest but asks for nothing; every other response ends the sequence.
SEQUENCE_STOPPERS = frozenset(ResponseKind) - {ResponseKind.CLICKED}
