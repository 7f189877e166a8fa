"""Every REST path of the gateway, as starlette routes."""

from starlette.routing import Route

from gateway.rest.audience import ROUTES as AUDIENCE_ROUTES
from gateway.rest.campaigns import ROUTES as CAMPAIGN_ROUTES
from gateway.rest.clinic import ROUTES as CLINIC_ROUTES
from gateway.rest.endpoints import PathApp, RestRoute
from gateway.rest.exports import ROUTES as EXPORT_ROUTES
from gateway.rest.openapi import openapi_route

ROUTES = CAMPAIGN_ROUTES + AUDIENCE_ROUTES + CLINIC_ROUTES + EXPORT_ROUTES


def rest_routes() -> list[Route]:
    """One starlette route per path taking every method (its app answers 405 itself), fixed
    paths before templated ones: `/campaigns/estimate` is never read as a campaign's id."""
    by_path: dict[str, list[RestRoute]] = {}
    for route in ROUTES:
        by_path.setdefault(route.path, []).append(route)
    paths = sorted(by_path, key=lambda path: "{" in path)
    return [
        *(Route(path, PathApp(by_path[path])) for path in paths),
        openapi_route(ROUTES),
    ]
