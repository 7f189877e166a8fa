"""Wiring of audience-svc: documents, handlers, routes, the compactor and daily enrolment."""

import asyncio
import time

from starlette.applications import Starlette

from audience_svc import api
from audience_svc.config import AudienceSettings
from audience_svc.domain.import_stream import ImportLimits
from audience_svc.enrolment import run_daily_enrolment
from audience_svc.fallbacks import ChannelFallbacks
from audience_svc.fanout import Fanout
from audience_svc.handlers import AudienceHandlers
from audience_svc.projection import Projection
from audience_svc.store import DOCUMENTS
from reengage_common.bus import batch
from reengage_common.clock import Clock, utc_now
from reengage_common.events import (
    AppointmentUpdated,
    CampaignLaunched,
    CampaignStatusChanged,
    MessageSent,
    PatientUpserted,
    RecipientResponded,
)
from reengage_common.recent import RecentAnswers
from reengage_common.service import Runtime, SpreadLoop, build_service_app
from reengage_common.settings import Settings, completed
from reengage_common.shares import PartitionShare

SERVICE = "audience-svc"
# How often the compactor looks again while only contact facts are pending and may wait.
CONTACTS_LOOK_SECONDS = 5.0


def create_app(settings: Settings | None = None, clock: Clock = utc_now) -> Starlette:
    settings = completed(AudienceSettings, settings)
    built: dict[int, AudienceHandlers] = {}
    estimates = RecentAnswers(settings.estimate_fresh_seconds, settings.estimate_stale_seconds)

    def handlers_of(runtime: Runtime) -> AudienceHandlers:
        if id(runtime) not in built:
            database = runtime.mongo[settings.database_name]
            projection = Projection(
                database,
                settings.projection_shards,
                settings.projection_cache_bytes,
                settings.projection_contacts_wait_seconds,
            )
            fanout = Fanout(
                database,
                projection,
                runtime.producer,
                runtime.publisher,
                settings,
                settings.fanout_chunk_size,
            )
            fallbacks = ChannelFallbacks(database, projection, runtime.publisher)
            built[id(runtime)] = AudienceHandlers(database, projection, fanout, fallbacks)
        return built[id(runtime)]

    def consumers(runtime: Runtime):
        handlers = handlers_of(runtime)
        ingest, outcomes = batch(handlers.ingest), batch(handlers.on_outcomes)
        return {
            PatientUpserted: ingest,
            AppointmentUpdated: ingest,
            MessageSent: outcomes,
            RecipientResponded: outcomes,
            CampaignLaunched: handlers.on_campaign_launched,
            CampaignStatusChanged: batch(handlers.on_status_changed),
        }

    async def compactor(runtime: Runtime, share: PartitionShare) -> None:
        """Every worker replica folds the clinics whose partition it owns."""
        projection = handlers_of(runtime).projection
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

    async def enrolment(runtime: Runtime, share: PartitionShare) -> None:
        handlers = handlers_of(runtime)
        await run_daily_enrolment(
            handlers.database, handlers.fanout, clock, settings.enrolment_interval_seconds, share
        )

    return build_service_app(
        settings,
        routes=api.routes,
        documents=DOCUMENTS,
        handlers=consumers,
        spread={
            "projection-compactor": SpreadLoop(PatientUpserted.topic, compactor),
            "daily-enrolment": SpreadLoop(PatientUpserted.topic, enrolment),
        },
        state=lambda runtime: {
            "handlers": handlers_of(runtime),
            "projection": handlers_of(runtime).projection,
            "clock": clock,
            "import_chunk_rows": settings.import_chunk_rows,
            "import_limits": ImportLimits(max_rows=settings.max_import_rows),
            "estimates": estimates,
        },
        # an import streams a whole file: its own, larger body limit
        larger_bodies={"/import": settings.max_import_body_bytes},
    )
