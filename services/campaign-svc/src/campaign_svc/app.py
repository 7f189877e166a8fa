"""Wiring of campaign-svc: documents, handlers, routes and the scheduler, owned by one lifespan."""

from starlette.applications import Starlette

from campaign_svc import api
from campaign_svc.audiences.handlers import SavedAudiences
from campaign_svc.audiences.store import DOCUMENTS as AUDIENCE_DOCUMENTS
from campaign_svc.clinic.store import ClinicProfileRevision
from campaign_svc.config import CampaignSettings
from campaign_svc.handlers import CampaignCommands
from campaign_svc.launch_guard import LaunchGuard
from campaign_svc.scheduler import run_scheduler
from campaign_svc.store import CampaignRecord, CampaignRevision
from reengage_common.clock import Clock, utc_now
from reengage_common.leases import Lease
from reengage_common.service import Runtime, build_service_app

SERVICE = "campaign-svc"


def create_app(settings: CampaignSettings | None = None, clock: Clock = utc_now) -> Starlette:
    settings = settings or CampaignSettings()

    def commands(runtime: Runtime) -> CampaignCommands:
        return CampaignCommands(settings, runtime.relay, clock)

    async def scheduler(runtime: Runtime, lease: Lease) -> None:
        await run_scheduler(commands(runtime), lease, settings.scheduler_interval_seconds)

    return build_service_app(
        settings,
        routes=api.routes,
        documents=[
            CampaignRecord,
            CampaignRevision,
            ClinicProfileRevision,
            LaunchGuard,
            *AUDIENCE_DOCUMENTS,
        ],
        outbox_documents=[CampaignRevision],
        background={"scheduler": scheduler},
        state=lambda runtime: {
            "commands": commands(runtime),
            "saved_audiences": SavedAudiences(clock),
        },
    )
