"""Wiring of dispatch-svc: documents, consumers, the sender loop and routes, owned by one
lifespan (`build_service_app`).

Campaign snapshots reach every replica through the database: the consumer owning a
campaign's partition stores `campaign.launched` / `campaign.status_changed` as append-only
records (`campaign_events`) and announces them (`news`); whichever replica holds the
sender's lease reads them all when it wins the lease, then what is announced. So one consumer
group serves all topics, and a replica that takes the lease over knows every campaign at once,
without replaying the campaign topics.
"""

import ssl
from collections.abc import Callable

import httpx
from starlette.applications import Starlette

from dispatch_svc import api, consent_store
from dispatch_svc.channels import ChannelSender, channels_from
from dispatch_svc.config import DispatchSettings
from dispatch_svc.handlers import make_handlers
from dispatch_svc.inbox import api as inbox_api
from dispatch_svc.inbox.handlers import InboxCommands, record_received
from dispatch_svc.inbox.store import DOCUMENTS as INBOX_DOCUMENTS
from dispatch_svc.sender.loop import Sender
from dispatch_svc.store import DOCUMENTS
from dispatch_svc.webhooks import api as webhook_api
from dispatch_svc.webhooks.deliverer import Deliverer
from dispatch_svc.webhooks.handlers import WebhookEndpoints, with_webhook_deliveries
from dispatch_svc.webhooks.store import DOCUMENTS as WEBHOOK_DOCUMENTS
from reengage_common.bus import batch
from reengage_common.clock import Clock, utc_now
from reengage_common.events import Channel, MessageReceived
from reengage_common.leases import Lease
from reengage_common.service import Runtime, build_service_app
from reengage_common.settings import Settings, completed

SERVICE = "dispatch-svc"


def create_app(
    settings: Settings | None = None,
    clock: Clock = utc_now,
    channels: Callable[[DispatchSettings], dict[Channel, ChannelSender]] = channels_from,
) -> Starlette:
    """`clock` decides when slots and delays come due (tests simulate days with it)."""
    settings = completed(DispatchSettings, settings)
    senders: dict[int, Sender] = {}

    def sender_of(runtime: Runtime) -> Sender:
        if id(runtime) not in senders:
            senders.clear()  # one runtime per lifespan: a restarted app starts afresh
            senders[id(runtime)] = Sender(
                settings,
                channels(settings),
                clock,
                owner=runtime.leases.owner,
                producer=runtime.producer,
            )
        return senders[id(runtime)]

    async def sender_loop(runtime: Runtime, lease: Lease) -> None:
        await sender_of(runtime).run(lease)

    def handlers(runtime: Runtime):
        sender = sender_of(runtime)
        with_changes = consent_store.PatientsWithChanges()
        runtime.on_partitions_assigned.append(with_changes.forget)
        made = make_handlers(
            sender.nudge, sender.responses_changed, clock, sender.hand_over, with_changes
        )
        # the front desk's inbox keeps each patient's SMS (message.received)
        return {**with_webhook_deliveries(made, clock), MessageReceived: batch(record_received)}

    deliverer = Deliverer(lambda: webhook_client(settings), clock, settings.webhook_tick_seconds)

    async def webhook_loop(runtime: Runtime, lease: Lease) -> None:
        await deliverer.run(lease)

    endpoints = WebhookEndpoints(clock, settings.webhook_allow_private_hosts, deliverer.wake)
    app = build_service_app(
        settings,
        routes=[*api.routes, *webhook_api.routes, *inbox_api.routes],
        documents=[*DOCUMENTS, *WEBHOOK_DOCUMENTS, *INBOX_DOCUMENTS],
        handlers=handlers,
        background={"sender": sender_loop, "webhook-deliverer": webhook_loop},
        state=lambda runtime: {
            "sender": sender_of(runtime),
            "webhook_endpoints": endpoints,
            "inbox": InboxCommands(settings, clock),
        },
    )
    app.state.senders = senders  # for tests in-process: the sender of the running lifespan
    return app


def webhook_client(settings: DispatchSettings) -> httpx.AsyncClient:
    """Redirects are not followed (a moved endpoint is updated by the clinic, and a redirect
    could point inside our network); the system CAs plus WEBHOOK_CA_FILE are trusted."""
    trusted = ssl.create_default_context()
    if settings.webhook_ca_file is not None:
        trusted.load_verify_locations(cafile=str(settings.webhook_ca_file))
    return httpx.AsyncClient(
        timeout=settings.webhook_timeout_seconds, follow_redirects=False, verify=trusted
    )
