"""audience-svc's dependencies, built once per lifespan (cosmicpython's `bootstrap`): the store,
the projection, the fan-out, the channel fallbacks, the handlers, the compactor and daily
enrolment, each with a default a test overrides.

Handlers, fan-outs, fallbacks and enrolment are given the store and the projection rather than
a database handle, so a unit test builds the same parts over in-memory ones.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from functools import partial

from audience_svc.config import AudienceSettings
from audience_svc.domain.import_stream import ImportLimits
from audience_svc.enrolment import run_daily_enrolment
from audience_svc.fallbacks import ChannelFallbacks
from audience_svc.fanout import Fanout
from audience_svc.handlers import AudienceHandlers
from audience_svc.projection import Projection
from audience_svc.store import AudienceStore, MongoAudienceStore
from reengage_common.bus import AnyHandler, batch
from reengage_common.clock import Clock, utc_now
from reengage_common.events import (
    AppointmentUpdated,
    CampaignLaunched,
    CampaignStatusChanged,
    Event,
    MessageSent,
    PatientUpserted,
    RecipientResponded,
)
from reengage_common.service import Runtime, ServiceParts
from reengage_common.shares import PartitionShare

StoreFactory = Callable[[Runtime], AudienceStore]
ProjectionFactory = Callable[[Runtime, AudienceSettings], Projection]
# How often the compactor looks again while only contact facts are pending and may wait.
CONTACTS_LOOK_SECONDS = 5.0


def mongo_store(runtime: Runtime) -> AudienceStore:
    return MongoAudienceStore(runtime.mongo[runtime.settings.database_name])


def stored_projection(runtime: Runtime, settings: AudienceSettings) -> Projection:
    return Projection(
        runtime.mongo[settings.database_name],
        settings.projection_shards,
        settings.projection_cache_bytes,
        settings.projection_contacts_wait_seconds,
    )


def consumer_handlers(audience: AudienceHandlers) -> dict[type[Event], AnyHandler]:
    ingest, outcomes = batch(audience.ingest), batch(audience.on_outcomes)
    return {
        PatientUpserted: ingest,
        AppointmentUpdated: ingest,
        MessageSent: outcomes,
        RecipientResponded: outcomes,
        CampaignLaunched: audience.on_campaign_launched,
        CampaignStatusChanged: batch(audience.on_status_changed),
    }


def compactor(
    settings: AudienceSettings, projection: Projection, share: PartitionShare
) -> Callable[[], Awaitable[None]]:
    async def compact() -> None:
        """Every worker replica folds the clinics whose partition it owns."""
        while True:
            started = time.monotonic()
            if not share.settled:  # a rebalance under way: its clinics may move
                await asyncio.sleep(settings.compact_interval_seconds)
                continue
            done = await projection.compact(share)
            if done.backlog:  # an import's backlog: fold on at once
                continue
            # A round rewrites every shard its facts touch, however few they are: while a
            # campaign sends, its message.sent facts touch them all every second. Resting twice
            # as long as the round took keeps that to a third of a core (at 100,000 patients
            # resting as long took half a core beside the send); readers fold the pending
            # facts of the patients they touch meanwhile, so answers stay exact.
            if done.waiting and not done.folded:  # a send's contacts wait (Projection): no hurry
                await asyncio.sleep(CONTACTS_LOOK_SECONDS)
                continue
            took = time.monotonic() - started if done.folded else 0.0
            await asyncio.sleep(max(settings.compact_interval_seconds, 2 * took))

    return compact


def clinics_share(runtime: Runtime, settings: AudienceSettings) -> PartitionShare:
    """The clinics this replica works for: those whose partition of `patient.upserted` its
    consumer owns (`reengage_common.shares`), kept current at each rebalance."""
    topic = PatientUpserted.topic
    return runtime.follow_partitions(PartitionShare(topic, settings.partitions_of(topic)))


def bootstrap(
    runtime: Runtime,
    settings: AudienceSettings,
    *,
    clock: Clock = utc_now,
    store: StoreFactory = mongo_store,
    projection: ProjectionFactory = stored_projection,
) -> ServiceParts:
    built, patients = store(runtime), projection(runtime, settings)
    publisher = runtime.publisher
    chunk_size = settings.fanout_chunk_size
    fanout = Fanout(built, patients, runtime.producer, publisher, settings, chunk_size)
    fallbacks = ChannelFallbacks(built, patients, publisher)
    audience = AudienceHandlers(built, patients, fanout, fallbacks)
    share = clinics_share(runtime, settings)
    interval = settings.enrolment_interval_seconds
    return ServiceParts(
        handlers=consumer_handlers(audience),
        # every worker replica runs both, each over the clinics of its share
        replicated={
            "projection-compactor": compactor(settings, patients, share),
            "daily-enrolment": partial(run_daily_enrolment, built, fanout, clock, interval, share),
        },
        state={
            "store": built,
            "handlers": audience,
            "projection": patients,
            "clock": clock,
            "import_chunk_rows": settings.import_chunk_rows,
            "import_limits": ImportLimits(max_rows=settings.max_import_rows),
        },
    )
