"""HTTP clients of the services' internal JSON APIs; the caller's own token is forwarded."""

from dataclasses import dataclass

import httpx

from reengage_common.settings import Settings

# A service that takes longer than this to accept a connection is down, whatever the call.
CONNECT_SECONDS = 2.0


@dataclass(frozen=True)
class Deadlines:
    """Seconds the gateway waits for a service's whole answer, by kind of call; past it the
    call is an outage (NotAvailable), so a hung service never holds a page for long."""

    read: float
    command: float
    launch: float
    file_import: float
    probe: float

    @classmethod
    def of(cls, settings: Settings) -> "Deadlines":
        return cls(
            read=settings.gateway_read_deadline_seconds,
            command=settings.gateway_command_deadline_seconds,
            launch=settings.gateway_launch_deadline_seconds,
            file_import=settings.gateway_import_deadline_seconds,
            probe=settings.gateway_probe_deadline_seconds,
        )


def timeout_of(seconds: float) -> httpx.Timeout:
    """httpx's per-phase timeouts for a call with this deadline (the caller bounds the whole)."""
    return httpx.Timeout(seconds, connect=min(seconds, CONNECT_SECONDS))


@dataclass
class ServiceClients:
    campaign: httpx.AsyncClient
    audience: httpx.AsyncClient
    dispatch: httpx.AsyncClient
    tracking: httpx.AsyncClient
    deadlines: Deadlines

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
    deadlines = Deadlines.of(settings)
    timeout = timeout_of(deadlines.read)

    def client(name: str, url: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=url, timeout=timeout, transport=transports.get(name))

    return ServiceClients(
        campaign=client("campaign-svc", settings.campaign_svc_url),
        audience=client("audience-svc", settings.audience_svc_url),
        dispatch=client("dispatch-svc", settings.dispatch_svc_url),
        tracking=client("tracking-svc", settings.tracking_svc_url),
        deadlines=deadlines,
    )
