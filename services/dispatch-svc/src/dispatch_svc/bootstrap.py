"""dispatch-svc's dependencies, built once per lifespan (cosmicpython's `bootstrap`): the store,
the channels, the sender and the consumer's handlers, each with a default a test overrides.

Handlers and the sender are given the store; nothing reaches for a module bound to beanie's
global initialisation, and a unit test builds the same sender over an in-memory store.
"""

from collections.abc import Callable
from dataclasses import dataclass

from dispatch_svc.channels import ChannelSender, channels_from
from dispatch_svc.config import DispatchSettings
from dispatch_svc.consent_store import PatientsWithChanges
from dispatch_svc.handlers import make_handlers
from dispatch_svc.sender.loop import Sender
from dispatch_svc.store import DispatchStore
from dispatch_svc.store.mongo import MongoDispatchStore
from dispatch_svc.webhooks.handlers import with_webhook_deliveries
from reengage_common.clock import Clock, utc_now
from reengage_common.events import Channel
from reengage_common.service import Runtime, ServiceParts

ChannelsFactory = Callable[[DispatchSettings], dict[Channel, ChannelSender]]
StoreFactory = Callable[[Runtime], DispatchStore]


def mongo_store(runtime: Runtime) -> DispatchStore:
    return MongoDispatchStore(runtime.mongo[runtime.settings.database_name])


@dataclass(frozen=True)
class Dispatch:
    """What one dispatch process runs: its store, its sender, its consumer's handlers."""

    store: DispatchStore
    sender: Sender
    parts: ServiceParts


def bootstrap(
    runtime: Runtime,
    settings: DispatchSettings,
    *,
    clock: Clock = utc_now,
    channels: ChannelsFactory = channels_from,
    store: StoreFactory = mongo_store,
) -> Dispatch:
    built = store(runtime)
    sender = Sender(
        settings,
        built,
        channels(settings),
        clock,
        owner=runtime.leases.owner,
        producer=runtime.producer,
    )
    with_changes = PatientsWithChanges(built)
    runtime.on_partitions_assigned.append(lambda _: with_changes.forget())
    # the sender sends the messages of the `message.due` partitions this consumer owns
    runtime.follow_partitions(sender.shards)
    handlers = make_handlers(
        built,
        nudge=sender.nudge,
        responses_changed=sender.responses_changed,
        clock=clock,
        hand_over=sender.hand_over,
        with_changes=with_changes,
    )
    parts = ServiceParts(
        handlers=with_webhook_deliveries(handlers, clock),
        replicated={"sender": sender.run},
        state={"store": built},
    )
    return Dispatch(built, sender, parts)
