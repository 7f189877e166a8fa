"""One function per event of audience-svc; rules live in domain/, storage in the store and the
projection they are given (`bootstrap`)."""

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import structlog

from audience_svc.domain.facts import fact_of
from audience_svc.fallbacks import ChannelFallbacks
from audience_svc.fanout import LAUNCH, Fanout
from audience_svc.projection import batch_record_id, pending_record
from audience_svc.store.protocol import AudienceStore, PatientProjection
from audience_svc.store.records import run_id
from reengage_common.events import CampaignLaunched, CampaignStatusChanged, Envelope

log = structlog.get_logger(__name__)


def pending_records(envelopes: list[Envelope[Any]]) -> list[dict[str, Any]]:
    """The pending records of a consumer batch or an import chunk: one per clinic."""
    by_clinic: dict[str, list[Envelope[Any]]] = defaultdict(list)
    for envelope in envelopes:
        by_clinic[envelope.clinic_id].append(envelope)
    records = []
    for clinic_id, events in by_clinic.items():
        facts = [fact for e in events if (fact := fact_of(e)) is not None]
        if facts:
            record_id = batch_record_id(events[0].type, (e.id for e in events))
            records.append(pending_record(record_id, clinic_id, facts))
    return records


@dataclass
class AudienceHandlers:
    store: AudienceStore
    projection: PatientProjection
    fanout: Fanout
    fallbacks: ChannelFallbacks

    async def ingest(self, envelopes: list[Envelope[Any]]) -> int:
        """Patient facts of a consumer batch: one pending record per clinic; records stored."""
        return await self.projection.append(pending_records(envelopes))

    async def on_outcomes(self, envelopes: list[Envelope[Any]]) -> int:
        """`message.sent` and `recipient.responded`: the channel fallbacks their failures call
        for published first (read from the projection before this batch's facts are in it,
        which only add contact history and closed channels the failure itself implies), then
        the facts stored."""
        await self.fallbacks.publish_for(envelopes)
        return await self.ingest(envelopes)

    async def on_campaign_launched(self, envelope: Envelope[CampaignLaunched]) -> None:
        launched = envelope.data
        await self.store.store_run(envelope.clinic_id, launched)
        await self.fanout.run(
            run_id(launched.campaign_id, launched.run_number),
            envelope.clinic_id,
            launched,
            kind=LAUNCH,
            now=launched.launched_at,
            trace_id=envelope.trace_id,
        )

    async def on_status_changed(self, envelopes: list[Envelope[CampaignStatusChanged]]) -> None:
        await self.store.store_status_changes([envelope.data for envelope in envelopes])
