"""HTTP clients of the services' internal JSON APIs; the caller's own token is forwarded."""

from dataclasses import dataclass

import httpx

from reengage_common.settings import Settings


@dataclass
class ServiceClients:
    campaign: httpx.AsyncClient
    audience: httpx.AsyncClient
    dispatch: httpx.AsyncClient
    tracking: httpx.AsyncClient

    def all(self) -> dict[str, httpx.AsyncClient]:
        return {
            "campaign-svc": self.campaign,
            "audience-svc": self.audience,
            "dispatch-svc": self.dispatch,
            "tracking-svc": self.tracking,
        }

    async def aclose(self) -> None:
        for client in self.all().values():
            await client.aclose()


def make_service_clients(
    settings: Settings, transports: dict[str, httpx.AsyncBaseTransport] | None = None
) -> ServiceClients:
    """`transports` lets tests run the services in-process (httpx.ASGITransport)."""
    transports = transports or {}
    timeout = httpx.Timeout(10.0, connect=2.0)

    def client(name: str, url: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=url, timeout=timeout, transport=transports.get(name))

    return ServiceClients(
        campaign=client("campaign-svc", settings.campaign_svc_url),
        audience=client("audience-svc", settings.audience_svc_url),
        dispatch=client("dispatch-svc", settings.dispatch_svc_url),
        tracking=client("tracking-svc", settings.tracking_svc_url),
    )
