"""Channel fallback's I/O (rules and the reasons for emitting here: `domain/fallback.py`):
the failures of a consumer batch of `message.sent` or `recipient.responded`, their
campaigns' snapshots and their patients' states read once per clinic, and the fallbacks'
`message.due` published before the batch's facts are stored and its offsets committed.

Nothing is stored first: the events are a function of what the batch says and the patient's
state, with deterministic ids, so a batch redelivered after a crash publishes the same events
again (dropped by their consumers), and a crash before publishing loses nothing.
"""

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import structlog

from audience_svc.domain.fallback import Failure, failure_of, fallback_due
from audience_svc.store.protocol import AudienceStore, PatientProjection
from reengage_common.bus import EventPublisher
from reengage_common.events import CampaignLaunched, Envelope

log = structlog.get_logger(__name__)


@dataclass
class ChannelFallbacks:
    store: AudienceStore
    projection: PatientProjection
    publisher: EventPublisher

    async def publish_for(self, envelopes: list[Envelope[Any]]) -> int:
        """Publish the fallbacks a consumer batch's failures call for; how many."""
        by_clinic: dict[str, list[Failure]] = defaultdict(list)
        for envelope in envelopes:
            if (failure := failure_of(envelope)) is not None:
                by_clinic[failure.clinic_id].append(failure)
        by_id: dict[str, Envelope[Any]] = {}
        for clinic_id, failures in by_clinic.items():
            # a failure reported twice in one batch (a retried webhook) falls back once
            by_id.update((due.id, due) for due in await self._dues_of(clinic_id, failures))
        dues = list(by_id.values())
        if dues:
            await self.publisher.publish_many(dues)
            log.info("fallback.published", messages=len(dues))
        return len(dues)

    async def _dues_of(self, clinic_id: str, failures: list[Failure]) -> list[Envelope[Any]]:
        launches = await self._latest_runs(clinic_id, {f.campaign_id for f in failures})
        wanted = [f for f in failures if f.campaign_id in launches]
        if not wanted:  # no campaign of theirs falls back: no patient read
            return []
        states = await self.projection.patient_states_of(clinic_id, {f.patient_id for f in wanted})
        dues = []
        for failure in wanted:
            due = fallback_due(
                launches[failure.campaign_id], failure, states.get(failure.patient_id)
            )
            if due is not None:
                dues.append(due)
        return dues

    async def _latest_runs(
        self, clinic_id: str, campaign_ids: set[str]
    ) -> dict[str, CampaignLaunched]:
        """The latest run's snapshot of each campaign that has a channel fallback."""
        found: dict[str, CampaignLaunched] = {}
        for campaign_id in sorted(campaign_ids):
            runs = await self.store.runs_of_campaign(campaign_id)
            records = [r for r in runs if r.get("clinic_id") == clinic_id]
            if not records:
                continue
            latest = max(records, key=lambda record: record.get("run_number", 0))
            launched = CampaignLaunched.model_validate(latest["launched"])
            if launched.channel_fallback:
                found[campaign_id] = launched
        return found
