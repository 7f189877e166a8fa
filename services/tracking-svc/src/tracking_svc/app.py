"""Wiring of tracking-svc: documents and internal and public routes here; the store, the
consumer's handlers, the snapshots and the compactor built by `bootstrap`; all owned by one
lifespan (`build_service_app`)."""

from starlette.types import ASGIApp

from reengage_common.clock import Clock, utc_now
from reengage_common.service import Runtime, ServiceParts, build_service_app
from reengage_common.settings import Settings, completed
from tracking_svc import api, public
from tracking_svc.bootstrap import StoreFactory, bootstrap, mongo_store
from tracking_svc.config import TrackingSettings
from tracking_svc.ports import split_by_port
from tracking_svc.store import DOCUMENTS

SERVICE = "tracking-svc"


def create_app(
    settings: Settings | None = None, clock: Clock = utc_now, store: StoreFactory = mongo_store
) -> ASGIApp:
    settings = completed(TrackingSettings, settings)

    def parts(runtime: Runtime) -> ServiceParts:
        return bootstrap(runtime, settings, clock=clock, store=store)

    internal = build_service_app(settings, routes=api.routes, documents=DOCUMENTS, bootstrap=parts)
    # The public routes on their own port (ports.py): exposed to the internet, nothing else is.
    return split_by_port(settings, internal, public.routes, settings.public_port)
