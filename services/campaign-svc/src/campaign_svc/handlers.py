"""One function per command or event of campaign-svc. Rules live in domain/; this orchestrates.

Every command is scoped to the caller's clinic (from the verified token). A change is stored
as the campaign's next revision together with the event it implies (one insert, see
`store.CampaignRevision`); of two writers of one campaign exactly one wins the revision.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog

from campaign_svc.audiences.handlers import linked_to_audience, with_named_audience
from campaign_svc.clinic.store import current_profile
from campaign_svc.config import CampaignSettings
from campaign_svc.domain.clinic_rules import with_clinic_time_zone
from campaign_svc.domain.launch import launch_errors, starting_now_if_unset
from campaign_svc.domain.lifecycle import (
    Action,
    EventKind,
    TransitionNotAllowed,
    record_transition,
    require_allowed,
    scheduled_action,
    transition,
)
from campaign_svc.domain.model import Campaign, InvalidCampaign, apply_changes, parse_campaign_input
from campaign_svc.domain.snapshot import duplicate, event_for
from campaign_svc.domain.validation import validate_campaign
from campaign_svc.launch_guard import one_launch_per_code
from campaign_svc.store import (
    CampaignRecord,
    campaign_of_clinic,
    campaign_page,
    campaigns_by_ids,
    campaigns_needing_the_scheduler,
    current_campaign,
    live_campaigns_of_clinic,
    save_revision,
)
from reengage_common.auth import CLINIC_ADMIN, MANAGE_REMINDERS, VIEW_ANALYTICS, Identity
from reengage_common.clock import Clock
from reengage_common.events import CampaignStatus, Envelope
from reengage_common.outbox import OutboxRelay

log = structlog.get_logger(__name__)


class CampaignNotFound(LookupError):
    def __init__(self, campaign_id: str) -> None:
        super().__init__(f"campaign {campaign_id} not found")


class ChangedConcurrently(Exception):
    """Someone else changed the campaign between our read and our write."""


@dataclass
class CampaignCommands:
    settings: CampaignSettings
    relay: OutboxRelay
    clock: Clock

    async def create(self, identity: Identity, body: Any) -> Campaign:
        identity.require(MANAGE_REMINDERS)
        now = self.clock()
        profile = await current_profile(identity.clinic_id)
        body = await with_named_audience(identity.clinic_id, body)
        definition = parse_campaign_input(with_clinic_time_zone(body, profile))
        _raise_if_invalid(validate_campaign(definition, now=now))
        record = CampaignRecord(
            clinic_id=identity.clinic_id,
            definition=definition,
            created_by=identity.user_id,
            created_at=now,
            updated_at=now,
        )
        await save_revision(record, [], at=now)
        log.info("campaign.created", campaign_id=record.id, clinic_id=identity.clinic_id)
        return record.to_campaign()

    async def update(self, identity: Identity, campaign_id: str, body: Any) -> Campaign:
        identity.require(MANAGE_REMINDERS)
        record = await find_campaign(identity, campaign_id)
        require_allowed(Action.EDIT, record.status)
        now = self.clock()
        changes = await with_named_audience(identity.clinic_id, body)
        definition = await linked_to_audience(
            identity.clinic_id, apply_changes(record.definition, changes)
        )
        _raise_if_invalid(validate_campaign(definition, now=now))
        record.definition = definition
        record.updated_at = now
        await _save(record, [], now)
        return record.to_campaign()

    async def delete(self, identity: Identity, campaign_id: str) -> None:
        identity.require(MANAGE_REMINDERS)
        record = await find_campaign(identity, campaign_id)
        require_allowed(Action.DELETE, record.status)
        await _save(record, [], self.clock(), deleted=True)
        log.info("campaign.deleted", campaign_id=campaign_id)

    async def duplicate(self, identity: Identity, campaign_id: str) -> Campaign:
        identity.require(MANAGE_REMINDERS)
        original = await find_campaign(identity, campaign_id)
        require_allowed(Action.DUPLICATE, original.status)
        now = self.clock()
        copy = CampaignRecord(
            clinic_id=identity.clinic_id,
            definition=duplicate(original.definition),
            created_by=identity.user_id,
            created_at=now,
            updated_at=now,
        )
        await save_revision(copy, [], at=now)
        return copy.to_campaign()

    async def change_status(self, identity: Identity, campaign_id: str, action: Action) -> Campaign:
        """launch, pause, resume or cancel, as the caller asks."""
        identity.require(MANAGE_REMINDERS, role=CLINIC_ADMIN if action is Action.LAUNCH else None)
        record = await find_campaign(identity, campaign_id)
        now = self.clock()
        require_allowed(action, record.status)
        if action is not Action.LAUNCH:
            await self._apply(record, action, now)
            return record.to_campaign()
        code = record.definition.incentive.incentive_code
        async with one_launch_per_code(record.clinic_id, code, record.id):
            await self._check_launch(record, now)
            await self._apply(record, action, now)
        return record.to_campaign()

    async def _check_launch(self, record: CampaignRecord, now: datetime) -> None:
        """Refuse the launch naming every reason; a draft without a start starts now.

        Launches sharing an incentive code take turns (`one_launch_per_code`), so this read
        of the live campaigns cannot miss one launched meanwhile.
        """
        record.definition = starting_now_if_unset(
            await linked_to_audience(record.clinic_id, record.definition), now
        )
        others = [
            other.to_campaign()
            for other in await live_campaigns_of_clinic(record.clinic_id)
            if other.id != record.id
        ]
        profile = await current_profile(record.clinic_id)
        errors = launch_errors(
            record.definition,
            profile=profile,
            others=others,
            now=now,
            clinic_id=record.clinic_id,
            senders=self.settings.verified_senders(),
        )
        _raise_if_invalid(errors)

    async def run_scheduler_once(self) -> int:
        """Activate campaigns whose start came and complete those whose end passed.

        A command racing the scheduler on one campaign loses or wins its revision like any other
        writer; the loser skips (scheduler) or answers 409 (command)."""
        now = self.clock()
        changed = 0
        for candidate in await campaigns_needing_the_scheduler(now):
            record = await current_campaign(candidate.id)
            if record is None:
                continue
            schedule = record.definition.schedule
            action = scheduled_action(
                record.status, start=schedule.start_date, end=schedule.end_date, now=now
            )
            if action is None:
                continue
            try:
                await self._apply(record, action, now)
                changed += 1
            except (ChangedConcurrently, TransitionNotAllowed):
                log.info("scheduler.skipped", campaign_id=record.id, action=action)
        return changed

    async def _apply(self, record: CampaignRecord, action: Action, now: datetime) -> None:
        schedule = record.definition.schedule
        change = transition(
            action, record.status, now=now, start=schedule.start_date, end=schedule.end_date
        )
        campaign = record_transition(record.to_campaign(), change, now=now)
        if change.to_status is CampaignStatus.ACTIVE and record.run_number == 0:
            record.run_number = 1
        # The profile as it is when the campaign goes live travels with it, so dispatch and
        # tracking never ask for it at send time.
        clinic = (
            await current_profile(record.clinic_id) if change.event is EventKind.LAUNCHED else None
        )
        event = event_for(
            campaign, change, at=now, run_number=max(record.run_number, 1), clinic=clinic
        )
        record.take(campaign)
        events = []
        if event is not None:
            events.append(
                Envelope.wrap(
                    event, source=self.settings.service, clinic_id=record.clinic_id, at=now
                )
            )
        await _save(record, events, now)
        self.relay.nudge()
        log.info(
            "campaign.status_changed",
            campaign_id=record.id,
            action=action.value,
            to=change.to_status.value,
        )


async def find_campaign(identity: Identity, campaign_id: str) -> CampaignRecord:
    """The caller's clinic's campaign; another clinic's is as absent as one never created."""
    record = await campaign_of_clinic(identity.clinic_id, campaign_id)
    if record is None:
        raise CampaignNotFound(campaign_id)
    return record


async def read_campaign(identity: Identity, campaign_id: str) -> Campaign:
    identity.require(VIEW_ANALYTICS)
    return (await find_campaign(identity, campaign_id)).to_campaign()


async def read_campaign_page(
    identity: Identity, *, status: CampaignStatus | None, first: int, after: str | None
) -> tuple[list[CampaignRecord], bool, int]:
    """Newest first: the page, whether more follow, and the total for the filter."""
    identity.require(VIEW_ANALYTICS)
    return await campaign_page(identity.clinic_id, status=status, first=first, after=after)


async def read_campaigns_with_ids(identity: Identity, ids: list[str]) -> list[CampaignRecord]:
    identity.require(VIEW_ANALYTICS)
    return await campaigns_by_ids(identity.clinic_id, ids)


async def _save(
    record: CampaignRecord, events: list[Envelope[Any]], now: datetime, *, deleted: bool = False
) -> None:
    if not await save_revision(record, events, at=now, deleted=deleted):
        raise ChangedConcurrently("the campaign was changed meanwhile; reload it and try again")


def _raise_if_invalid(errors: list[Any]) -> None:
    if errors:
        raise InvalidCampaign(errors)
