"""Wiring of dispatch-svc: documents, routes and the webhook deliverer here; the store, the
sender and the consumer's handlers built by `bootstrap`; all owned by one lifespan
(`build_service_app`).

Campaign snapshots reach every replica through the database: the consumer owning a
campaign's partition stores `campaign.launched` / `campaign.status_changed` as append-only
records (`campaign_events`) and announces them (`news`); every replica's sender reads them all
when it starts, then what is announced. So one consumer group serves all topics, and a replica
that takes a shard over knows every campaign at once, without replaying the campaign topics.
"""

import ssl
from collections.abc import Callable

import httpx
from starlette.applications import Starlette

from dispatch_svc import api
from dispatch_svc.bootstrap import ChannelsFactory, Dispatch, StoreFactory, bootstrap, mongo_store
from dispatch_svc.channels import channels_from
from dispatch_svc.config import DispatchSettings
from dispatch_svc.inbox import api as inbox_api
from dispatch_svc.inbox.handlers import InboxCommands, record_received
from dispatch_svc.inbox.store import DOCUMENTS as INBOX_DOCUMENTS
from dispatch_svc.store import DOCUMENTS
from dispatch_svc.webhooks import api as webhook_api
from dispatch_svc.webhooks.deliverer import Deliverer
from dispatch_svc.webhooks.handlers import WebhookEndpoints
from dispatch_svc.webhooks.store import DOCUMENTS as WEBHOOK_DOCUMENTS
from reengage_common.bus import batch
from reengage_common.clock import Clock, utc_now
from reengage_common.events import MessageReceived
from reengage_common.leases import Lease
from reengage_common.service import Runtime, ServiceParts, build_service_app
from reengage_common.settings import Settings, completed

SERVICE = "dispatch-svc"


def create_app(
    settings: Settings | None = None,
    clock: Clock = utc_now,
    channels: ChannelsFactory = channels_from,
    store: StoreFactory = mongo_store,
    built: Callable[[Dispatch], None] | None = None,
) -> Starlette:
    """`clock` decides when slots and delays come due (tests simulate days with it); `built`
    is told what each lifespan's `bootstrap` made (tests in-process reach the sender so)."""
    settings = completed(DispatchSettings, settings)

    def parts(runtime: Runtime) -> ServiceParts:
        dispatch = bootstrap(runtime, settings, clock=clock, channels=channels, store=store)
        if built is not None:
            built(dispatch)
        return dispatch.parts

    deliverer = Deliverer(lambda: webhook_client(settings), clock, settings.webhook_tick_seconds)

    async def webhook_loop(runtime: Runtime, lease: Lease) -> None:
        await deliverer.run(lease)

    endpoints = WebhookEndpoints(clock, settings.webhook_allow_private_hosts, deliverer.wake)
    return build_service_app(
        settings,
        routes=[*api.routes, *webhook_api.routes, *inbox_api.routes],
        documents=[*DOCUMENTS, *WEBHOOK_DOCUMENTS, *INBOX_DOCUMENTS],
        bootstrap=parts,
        # the front desk's inbox keeps each patient's SMS (message.received)
        handlers=lambda runtime: {MessageReceived: batch(record_received)},
        background={"webhook-deliverer": webhook_loop},
        state=lambda runtime: {
            "webhook_endpoints": endpoints,
            "inbox": InboxCommands(settings, clock),
        },
    )


def webhook_client(settings: DispatchSettings) -> httpx.AsyncClient:
    """Redirects are not followed (a moved endpoint is updated by the clinic, and a redirect
    could point inside our network); the system CAs plus WEBHOOK_CA_FILE are trusted."""
    trusted = ssl.create_default_context()
    if settings.webhook_ca_file is not None:
        trusted.load_verify_locations(cafile=str(settings.webhook_ca_file))
    return httpx.AsyncClient(
        timeout=settings.webhook_timeout_seconds, follow_redirects=False, verify=trusted
    )
