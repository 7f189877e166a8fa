"""tracking-svc's dependencies, built once per lifespan (cosmicpython's `bootstrap`): the store,
the handlers, the snapshots and the compactor, each with a default a test overrides.

Handlers, snapshots and reads are given the store; nothing reaches for a module bound to
beanie's global initialisation, and a unit test builds the same parts over an in-memory store.
"""

import asyncio
from collections.abc import Awaitable, Callable

from reengage_common.bus import BatchHandler, batch
from reengage_common.clock import Clock, utc_now
from reengage_common.events import (
    AppointmentUpdated,
    AudienceEvaluated,
    CampaignLaunched,
    Event,
    MessageDue,
    MessageSent,
    RecipientHeldOut,
    RecipientResponded,
)
from reengage_common.recent import RecentAnswers
from reengage_common.service import Runtime, ServiceParts
from reengage_common.shares import PartitionShare
from tracking_svc.config import TrackingSettings
from tracking_svc.handlers import TrackingHandlers
from tracking_svc.snapshots import ROUND_PAGES, Snapshots
from tracking_svc.store import MongoTrackingStore, TrackingStore

StoreFactory = Callable[[Runtime], TrackingStore]


def mongo_store(runtime: Runtime) -> TrackingStore:
    return MongoTrackingStore(runtime.mongo[runtime.settings.database_name])


def consumer_handlers(tracking: TrackingHandlers) -> dict[type[Event], BatchHandler]:
    return {
        MessageDue: batch(tracking.on_facts),
        RecipientHeldOut: batch(tracking.on_facts),
        AudienceEvaluated: batch(tracking.on_facts),
        RecipientResponded: batch(tracking.on_facts),
        MessageSent: batch(tracking.on_message_sent),
        CampaignLaunched: batch(tracking.on_campaign_launched),
        AppointmentUpdated: batch(tracking.on_appointment_updated),
    }


def compactor(
    settings: TrackingSettings, snapshots: Snapshots, share: PartitionShare
) -> Callable[[], Awaitable[None]]:
    async def compact() -> None:
        """Fold new fact pages into campaign snapshots: every worker replica those of the
        campaigns whose partition of `message.sent` it owns."""
        while True:
            if not share.settled:  # a rebalance under way: its campaigns may move
                await asyncio.sleep(settings.compact_interval_seconds)
                continue
            folded = await snapshots.compact(share)
            if folded >= ROUND_PAGES:
                continue  # more wait than one round takes
            rest = settings.compact_rest_seconds if folded else settings.compact_interval_seconds
            await asyncio.sleep(rest)

    return compact


def bootstrap(
    runtime: Runtime,
    settings: TrackingSettings,
    *,
    clock: Clock = utc_now,
    store: StoreFactory = mongo_store,
) -> ServiceParts:
    built = store(runtime)
    tracking = TrackingHandlers(settings, built, runtime.publisher, clock)
    snapshots = Snapshots(built)  # this replica's cache of decoded snapshot records
    recent = RecentAnswers(settings.stats_fresh_seconds, settings.stats_stale_seconds)
    loops: dict[str, Callable[[], Awaitable[None]]] = {}
    if settings.compactor:
        topic = MessageSent.topic
        share = runtime.follow_partitions(PartitionShare(topic, settings.partitions_of(topic)))
        loops["tracking-compactor"] = compactor(settings, snapshots, share)
    return ServiceParts(
        handlers=consumer_handlers(tracking),
        replicated=loops,
        state={"tracking": tracking, "snapshots": snapshots, "recent": recent, "store": built},
    )
