"""Every REST path of the gateway, as starlette routes."""

from starlette.routing import Route

from gateway.rest.audience import ROUTES as AUDIENCE_ROUTES
from gateway.rest.campaigns import ROUTES as CAMPAIGN_ROUTES
from gateway.rest.endpoints import endpoint
from gateway.rest.openapi import openapi_route

ROUTES = CAMPAIGN_ROUTES + AUDIENCE_ROUTES


def rest_routes() -> list[Route]:
    return [
        *(Route(route.path, endpoint(route), methods=[route.method]) for route in ROUTES),
        openapi_route(ROUTES),
    ]
