"""Wiring of tracking-svc: documents, batch consumers, internal and public routes."""

import asyncio

from starlette.types import ASGIApp

from reengage_common.bus import batch
from reengage_common.clock import Clock, utc_now
from reengage_common.events import (
    AppointmentUpdated,
    AudienceEvaluated,
    CampaignLaunched,
    MessageDue,
    MessageSent,
    RecipientHeldOut,
    RecipientResponded,
)
from reengage_common.recent import RecentAnswers
from reengage_common.service import Runtime, SpreadLoop, build_service_app
from reengage_common.settings import Settings, completed
from reengage_common.shares import PartitionShare
from tracking_svc import api, public
from tracking_svc.config import TrackingSettings
from tracking_svc.handlers import TrackingHandlers
from tracking_svc.inbound import UnmatchedInbound
from tracking_svc.ports import split_by_port
from tracking_svc.snapshots import ROUND_PAGES, Snapshots
from tracking_svc.store import DOCUMENTS

SERVICE = "tracking-svc"


def create_app(settings: Settings | None = None, clock: Clock = utc_now) -> ASGIApp:
    settings = completed(TrackingSettings, settings)

    def tracking(runtime: Runtime) -> TrackingHandlers:
        return TrackingHandlers(settings, runtime.publisher, clock)

    def handlers(runtime: Runtime) -> dict:
        handle = tracking(runtime)
        return {
            MessageDue: batch(handle.on_facts),
            RecipientHeldOut: batch(handle.on_facts),
            AudienceEvaluated: batch(handle.on_facts),
            RecipientResponded: batch(handle.on_facts),
            MessageSent: batch(handle.on_message_sent),
            CampaignLaunched: batch(handle.on_campaign_launched),
            AppointmentUpdated: batch(handle.on_appointment_updated),
        }

    snapshots = Snapshots()  # this replica's cache of decoded snapshot records
    recent = RecentAnswers(settings.stats_fresh_seconds, settings.stats_stale_seconds)

    async def compactor(runtime: Runtime, share: PartitionShare) -> None:
        """Fold new fact pages into campaign snapshots: every worker replica the campaigns
        whose partition it owns."""
        while True:
            if not share.settled:  # a rebalance under way: its campaigns may move
                await asyncio.sleep(settings.compact_interval_seconds)
                continue
            folded = await snapshots.compact(share)
            if folded >= ROUND_PAGES:
                continue  # more wait than one round takes
            rest = settings.compact_rest_seconds if folded else settings.compact_interval_seconds
            await asyncio.sleep(rest)

    internal = build_service_app(
        settings,
        routes=api.routes,
        documents=[*DOCUMENTS, UnmatchedInbound],
        handlers=handlers,
        spread=(
            {"tracking-compactor": SpreadLoop(MessageSent.topic, compactor)}
            if settings.compactor
            else {}
        ),
        state=lambda runtime: {
            "tracking": tracking(runtime),
            "snapshots": snapshots,
            "recent": recent,
        },
    )
    # The public routes on their own port (ports.py): exposed to the internet, nothing else is.
    return split_by_port(settings, internal, public.routes, settings.public_port)
