"""Wiring of audience-svc: documents and routes here; the store, the projection, the consumer's
handlers, the compactor and daily enrolment built by `bootstrap`; all owned by one lifespan
(`build_service_app`)."""

from starlette.applications import Starlette

from audience_svc import api
from audience_svc.bootstrap import StoreFactory, bootstrap, mongo_store
from audience_svc.config import AudienceSettings
from audience_svc.store import DOCUMENTS
from reengage_common.clock import Clock, utc_now
from reengage_common.recent import RecentAnswers
from reengage_common.service import Runtime, ServiceParts, build_service_app
from reengage_common.settings import Settings, completed

SERVICE = "audience-svc"


def create_app(
    settings: Settings | None = None, clock: Clock = utc_now, store: StoreFactory = mongo_store
) -> Starlette:
    settings = completed(AudienceSettings, settings)
    estimates = RecentAnswers(settings.estimate_fresh_seconds, settings.estimate_stale_seconds)

    def parts(runtime: Runtime) -> ServiceParts:
        return bootstrap(runtime, settings, clock=clock, store=store)

    return build_service_app(
        settings,
        routes=api.routes,
        documents=DOCUMENTS,
        bootstrap=parts,
        state=lambda runtime: {"estimates": estimates},
        # an import streams a whole file: its own, larger body limit
        larger_bodies={"/import": settings.max_import_body_bytes},
    )
