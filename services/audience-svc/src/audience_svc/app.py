"""Wiring of audience-svc: settings, documents, handlers and routes, owned by one lifespan."""

from starlette.applications import Starlette

from reengage_common.service import build_service_app
from reengage_common.settings import Settings, load_settings

SERVICE = "audience-svc"


def create_app(settings: Settings | None = None) -> Starlette:
    return build_service_app(settings or load_settings(SERVICE))
