"""Sending spread over dispatch-svc replicas: messages per second with 1, 2 and 3 replicas as
real processes against a provider bound by its latency, not by our CPU, in one run; and the
time a new owner needs to take over a shard of 100,000 stored messages.

Run by hand (not part of the suite) with Kafka and FerretDB up (`./dev up`, or
`deploy/local/infra.sh start`):

    .venv/bin/python tests/bench/bench_scale.py [--messages 3000] [--delay 0.1]
        [--connections 8] [--partitions 6] [--stored 100000]

Each round starts its replicas on topics and a database of its own (`--partitions` per topic,
so each replica owns a share of `message.due`), a Twilio stand-in that answers every request
after `--delay` seconds, and `--connections` SMS connections per replica: one replica can send
at most connections / delay messages a second, whatever its CPU. The round publishes one SMS
campaign of `--messages` recipients and times the first to the last message the stand-in
received. The goal (issue 20): 3 replicas at least 2.5x one.

The takeover: `--stored` messages of one campaign in shard 0 and as many in shard 1 (another
replica's history), stored as the consumer stores them; then a sender view, given shard 0,
reads it (`SenderView.follow_shards`), timed.
"""

import argparse
import asyncio
import os
import signal
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[2]
os.environ.setdefault("ENV", "test")  # the development keys of the local servers
sys.path.insert(0, str(ROOT / "services" / "dispatch-svc" / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "dispatch"))

from kit import (  # noqa: E402
    SMS_STEP,
    Bus,
    Providers,
    dispatch_settings,
    due,
    launched,
    patient_contact,
    provider_fakes,
)
from processes import awake_zone, start_dispatch, wait_ready  # noqa: E402
from pymongo import AsyncMongoClient  # noqa: E402

from dispatch_svc.config import DispatchSettings  # noqa: E402
from dispatch_svc.domain.messages import batch_of, queued_message  # noqa: E402
from dispatch_svc.sender.view import SenderView  # noqa: E402
from dispatch_svc.store.mongo import MongoDispatchStore  # noqa: E402
from reengage_common.events import Channel, Envelope  # noqa: E402
from reengage_common.shares import PartitionShare  # noqa: E402
from reengage_testing import free_port  # noqa: E402

SMS_FIRST = SMS_STEP.model_copy(update={"sequence": 1, "delay_days": 0})


def base_settings() -> DispatchSettings:
    run = uuid.uuid4().hex[:6]
    return DispatchSettings(
        service="dispatch-svc",
        kafka_topic_prefix=f"bench-{run}.",
        mongo_db_prefix=f"bench_{run}_",
    )


async def one_round(replicas: int, args: argparse.Namespace, providers: Providers) -> float:
    """Messages a second from the first to the last the provider received, with `replicas`."""
    name = f"scale{replicas}-{uuid.uuid4().hex[:6]}"
    settings = dispatch_settings(base_settings(), providers, name, kafka_partitions=args.partitions)
    providers.twilio.messages.clear()
    now = datetime.now(UTC)
    zone = awake_zone(now)
    send_time = (now - timedelta(minutes=2)).astimezone(ZoneInfo(zone)).strftime("%H:%M")
    concurrency = {"SMS_CONCURRENCY": args.connections, "EMAIL_CONCURRENCY": 1}
    log = Path(tempfile.gettempdir()) / f"bench-scale-{name}.log"
    async with Bus(settings) as bus:
        ports = [free_port() for _ in range(replicas)]
        processes = [start_dispatch(settings, providers, port, log, concurrency) for port in ports]
        try:
            await wait_ready(ports)
            await bus.publish(
                launched(
                    name,
                    [SMS_FIRST],
                    at=now - timedelta(hours=1),
                    send_times=[send_time],
                    timezone=zone,
                )
            )
            messages = []
            for n in range(args.messages):
                contact = patient_contact(f"p-{n}", timezone=zone, domain=f"{name}.example")
                contact.phone = f"+1555{n:07d}"
                earlier = now - timedelta(minutes=3)
                messages.append(
                    due(name, f"p-{n}", at=earlier, channel=Channel.SMS, contact=contact)
                )
            await bus.publish(*messages)
            first, last = await _arrivals(providers, args.messages)
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
            for process in processes:
                process.wait(timeout=30)
            await _drop(settings)
    return args.messages / max(last - first, 1e-3)


async def _drop(settings: DispatchSettings) -> None:
    """The round's database goes with it (the local server keeps every bench's otherwise)."""
    client = AsyncMongoClient(settings.mongo_url)
    try:
        await client.drop_database(settings.database_name)
    finally:
        await client.close()


async def _arrivals(providers: Providers, count: int) -> tuple[float, float]:
    """Monotonic times of the provider's first and last message (polled every 20 ms)."""
    first = None
    deadline = time.monotonic() + 60 + count / 5
    while time.monotonic() < deadline:
        received = len(providers.twilio.messages)
        if received and first is None:
            first = time.monotonic()
        if received >= count:
            return first or time.monotonic(), time.monotonic()
        await asyncio.sleep(0.02)
    raise RuntimeError(f"only {len(providers.twilio.messages)} of {count} messages arrived")


async def takeover(stored: int) -> tuple[float, int]:
    """Seconds for a sender view given shard 0 to read it, and the messages it then holds."""
    settings = dispatch_settings(base_settings(), _no_providers(), "takeover")
    client = AsyncMongoClient(settings.mongo_url, tz_aware=True)
    try:
        from dispatch_svc.store import DOCUMENTS
        from reengage_common.db import init_documents

        await init_documents(client, settings, DOCUMENTS)
        store = MongoDispatchStore(client[settings.database_name])
        campaign = "takeover"
        now = datetime.now(UTC)
        launch = launched(campaign, [SMS_FIRST], at=now)
        await store.store_launches([Envelope.wrap(launch, source="bench", clinic_id="c")], now)
        for shard in (0, 1):
            for start in range(0, stored, 500):
                dues = [
                    due(campaign, f"p-{shard}-{n}", at=now, channel=Channel.SMS)
                    for n in range(start, min(start + 500, stored))
                ]
                envelopes = [Envelope.wrap(d, source="bench", clinic_id="c") for d in dues]
                batch_id = batch_of(e.data.message_id for e in envelopes)
                await store.store_messages([queued_message(e, batch_id, shard) for e in envelopes])

        async def publish(_: object) -> None:
            return None

        shards = PartitionShare("message.due", total=2)
        view = SenderView(store, publish, shards)
        await view.refresh()
        shards.assigned(frozenset({("message.due", 0)}))
        started = time.perf_counter()
        await view.follow_shards(now)
        return time.perf_counter() - started, view.queued()
    finally:
        await client.drop_database(settings.database_name)
        await client.close()


def _no_providers() -> Providers:
    return Providers(None, None, "http://127.0.0.1:9", "http://127.0.0.1:9")  # type: ignore[arg-type]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--delay", type=float, default=0.1, help="seconds per provider call")
    parser.add_argument("--connections", type=int, default=8, help="SMS connections a replica")
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--stored", type=int, default=100_000)
    parser.add_argument("--replicas", default="1,2,3")
    args = parser.parse_args()

    ceiling = args.connections / args.delay
    print(
        f"{args.messages:,} SMS per round; the provider answers after {args.delay * 1000:.0f} ms,"
        f" {args.connections} connections a replica: at most {ceiling:,.0f} SMS/s a replica"
    )
    rates: dict[int, float] = {}
    async with provider_fakes() as providers:
        providers.twilio.behaviour.update({"mode": "slow", "seconds": args.delay})
        for replicas in (int(n) for n in args.replicas.split(",")):
            rates[replicas] = await one_round(replicas, args, providers)
            print(
                f"  {replicas} replica(s): {rates[replicas]:7,.0f} SMS/s"
                f"  ({rates[replicas] / rates[min(rates)]:.2f}x one;"
                f" {rates[replicas] / (replicas * ceiling):.0%} of {replicas}x the ceiling)"
            )
    seconds, queued = await takeover(args.stored)
    print(
        f"takeover of shard 0 ({args.stored:,} stored messages; as many in shard 1 left unread):"
        f" {seconds:.2f} s, {queued:,} messages queued"
    )


if __name__ == "__main__":
    asyncio.run(main())
