"""Messages per second through dispatch-svc to the local providers, beside the raw ceilings of
the same servers measured in the same run.

Run by hand (not part of the suite) with Kafka, FerretDB, Mailpit and the fakes up
(`./dev up`, or `deploy/local/infra.sh start`):

    .venv/bin/python tests/bench/bench_dispatch.py [--messages 20000] [--email-only] [--rounds N]
        [--warmup 2000] [--listmonk-bin PATH]

It measures, in one run:
  - raw SMTP: aiosmtplib alone sending ready-made messages into Mailpit over 1, 10 and 50
    connections (Mailpit spends ~0.65 ms of CPU per message: it is the ceiling);
  - raw SMS: httpx alone posting to the Twilio fake (status callbacks off), 64 connections;
  - raw Kafka: aiokafka producing message.due-sized events and a consumer reading them back;
  - ours: a real dispatch-svc process (rate limits off) fed `--messages` email then as many SMS
    `message.due` events, after an untimed warm-up pass (`--warmup`): end to end from the first
    event published until the `message.sent` topic's end offsets count them all, and the send
    phase alone (from the first `message.sent` to the last);
  - the peer: listmonk v6.2.0 (a binary built from its source: `--listmonk-bin` or
    `LISTMONK_BIN`; skipped without one) sending as many emails into the same Mailpit, once per
    round, between our passes.
Machines here are noisy (2 cores shared by Kafka, PostgreSQL, FerretDB, Mailpit, the fakes and
dispatch): compare figures of one run.
It empties the shared Twilio fake's records (`DELETE /_fake/messages`) and turns its status
callbacks off.
"""

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import median
from zoneinfo import ZoneInfo

import httpx
import uvloop
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from peers import run_listmonk, send_messages

from dispatch_svc.channels.email import build_email
from dispatch_svc.domain.compose import compose
from dispatch_svc.domain.messages import queued_message
from reengage_common.bus import (
    EventPublisher,
    ensure_topics,
    event_headers,
    make_producer,
    send_in_batches,
)
from reengage_common.events import (
    CampaignLaunched,
    Channel,
    ClinicProfile,
    Contact,
    Envelope,
    MessageDue,
    MessageTemplate,
    Schedule,
    Variant,
    message_id,
)
from reengage_common.settings import Settings
from reengage_testing import free_port

# a local bench: development settings (production refuses to start without its secrets)
os.environ.setdefault("ENV", "development")
ROOT = Path(__file__).resolve().parents[2]
SMTP_HOST = os.environ.get("SMTP_HOST", "127.0.0.1")
SMTP_PORT = int(os.environ.get("SMTP_PORT", "1025"))
MAILPIT_API = os.environ.get("MAILPIT_API_BASE", "http://127.0.0.1:8025")
TWILIO_API = os.environ.get("TWILIO_API_BASE", "http://127.0.0.1:8030")
TWILIO_SID = os.environ.get("TWILIO_ACCOUNT_SID", "AC" + "0" * 32)
TWILIO_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN", "dev-twilio-token")
PUBLIC_BASE = "http://127.0.0.1:8104"  # tracking-svc's local address, as the service's links
CLINIC = ClinicProfile(
    name="Bright Smiles Dental",
    phone="(555) 010-0100",
    address="100 Main Street, Springfield, IL 62701",
    timezone="America/Chicago",
)


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:8,.0f} msg/s  ({count:,} in {seconds:.1f} s)"


# --- raw ceilings ----------------------------------------------------------------------------------


def sample_emails(count: int, domain: str) -> list[bytes]:
    """The very messages the service sends in its pass (same template, links, footer), so
    Mailpit, whose cost grows with a message's size, does the same work for the ceiling."""
    campaign = f"raw-{uuid.uuid4().hex[:6]}"
    now = datetime.now(UTC)
    events = campaign_events(campaign, Channel.EMAIL, count, awake_zone(now), now)
    launched = events[0].data
    messages = []
    for envelope in events[1:]:
        message = queued_message(envelope, batch_id="raw", shard=0)
        message.contact["email"] = message.contact["email"].replace(f"{campaign}.example", domain)
        outgoing = compose(
            message, launched, link_secret="bench", public_base_url=PUBLIC_BASE, now=now
        )
        messages.append(build_email(outgoing, sender="noreply@reengage.example", mailto=None))
    return messages


async def empty_mailpit() -> None:
    """Every measured pass starts from an empty Mailpit: it prunes its oldest messages beyond
    its limit, and that work would fall into whichever pass crosses the limit."""
    async with httpx.AsyncClient() as client:
        (await client.delete(f"{MAILPIT_API}/api/v1/messages")).raise_for_status()


async def raw_smtp(count: int, connections: int) -> float:
    domain = f"raw-{uuid.uuid4().hex[:6]}.example"
    messages = sample_emails(count, domain)
    await empty_mailpit()
    started, cpu, servers = time.perf_counter(), time.process_time(), servers_cpu()
    # the connection loop of peers.aiosmtplib_ceiling, here with the service's own messages
    await send_messages(messages, domain, connections, SMTP_HOST, SMTP_PORT)
    RAW_CPU[connections] = (time.process_time() - cpu) / count
    RAW_SERVERS[connections] = cpu_per_message(servers, servers_cpu(), count)
    return time.perf_counter() - started


RAW_CPU: dict[int, float] = {}  # CPU seconds per message of aiosmtplib alone, by connections
RAW_SERVERS: dict[int, str] = {}  # the servers' CPU per message meanwhile, by connections


async def raw_sms(count: int, connections: int = 64, per_client: int = 8) -> float:
    """httpx alone, its connections split over clients of `per_client` as the service does
    (httpcore's pool scans all its connections per request)."""
    url = f"{TWILIO_API}/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
    limits = httpx.Limits(max_connections=per_client, max_keepalive_connections=per_client)
    clients = [
        httpx.AsyncClient(auth=(TWILIO_SID, TWILIO_TOKEN), limits=limits)
        for _ in range(connections // per_client)
    ]
    numbers = iter(range(count))

    async def worker(client: httpx.AsyncClient) -> None:
        for n in numbers:
            form = {"To": f"+1555{n:07d}", "From": "+15005550006", "Body": "Raw SMS " * 10}
            (await client.post(url, data=form)).raise_for_status()

    started = time.perf_counter()
    await asyncio.gather(*(worker(clients[i % len(clients)]) for i in range(connections)))
    elapsed = time.perf_counter() - started
    for client in clients:
        await client.aclose()
    return elapsed


async def raw_kafka(settings: Settings, count: int) -> tuple[float, float]:
    topic = settings.topic("raw.kafka")
    await ensure_topics(settings, ["raw.kafka"])
    value = b"x" * 900  # a message.due with contact and merge data is about this big
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
        max_batch_size=1024 * 1024,
    )
    await producer.start()
    started = time.perf_counter()
    futures = [await producer.send(topic, value, key=f"p-{n}".encode()) for n in range(count)]
    await asyncio.gather(*futures)
    produced = time.perf_counter() - started
    await producer.stop()
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    started, read = time.perf_counter(), 0
    while read < count:
        batches = await consumer.getmany(timeout_ms=500, max_records=5000)
        read += sum(len(records) for records in batches.values())
    consumed = time.perf_counter() - started
    await consumer.stop()
    return produced, consumed


# --- through the service ------------------------------------------------------------------------


def awake_zone(now: datetime) -> str:
    for name in ("America/Chicago", "Europe/London", "Asia/Tokyo", "Pacific/Honolulu"):
        if 9 <= now.astimezone(ZoneInfo(name)).hour < 20:
            return name
    return "Asia/Kolkata"


def campaign_events(
    campaign: str, channel: Channel, count: int, zone: str, now: datetime
) -> list[Envelope]:
    send_time = (now - timedelta(minutes=2)).astimezone(ZoneInfo(zone)).strftime("%H:%M")
    step = MessageTemplate(
        channel=channel,
        sequence=1,
        subject="We miss you, {{ patient.firstName }}" if channel is Channel.EMAIL else None,
        body="Hi {{ patient.firstName }}, it has been {{ patient.lastVisitDate | ago }}. "
        "{{ incentive.details }} with {{ incentive.code }}. Book: {{ bookingLink }}",
    )
    launched = CampaignLaunched(
        campaign_id=campaign,
        name="Bench recall",
        targeting={"inactiveDays": 180},
        channels=[channel],
        message_templates=[step],
        variants=[Variant(name="A")],
        schedule=Schedule(start_date=now, send_times=[send_time], timezone=zone),
        incentive={"hasIncentive": True, "incentiveDetails": "20% off", "incentiveCode": "SMILE20"},
        launched_at=now - timedelta(hours=1),
        clinic=CLINIC,
    )
    events: list[Envelope] = [Envelope.wrap(launched, source="bench", clinic_id="clinic-bench")]
    for n in range(count):
        patient = f"p-{n}"
        due = MessageDue(
            message_id=message_id(campaign, patient, 1, 1),
            campaign_id=campaign,
            patient_id=patient,
            sequence=1,
            channel=channel,
            due_at=now - timedelta(minutes=3),
            contact=Contact(
                name=f"Ada Lovelace {n}",
                email=f"{patient}@{campaign}.example",
                phone=f"+1556{n:07d}",
                timezone=zone,
            ),
            merge_data={
                "patient": {
                    "firstName": "Ada",
                    "lastName": "Lovelace",
                    "lastVisitDate": "2025-10-15",
                    "treatmentStage": "HYGIENE_RECALL",
                }
            },
            incentive_code="SMILE20",
        )
        events.append(Envelope.wrap(due, source="bench", clinic_id="clinic-bench"))
    return events


async def through_service(
    settings: Settings, producer: AIOKafkaProducer, channel: Channel, count: int, zone: str
) -> tuple[float, float]:
    """(end-to-end seconds, send-phase seconds).

    The campaign is launched first, and the `message.due` events are encoded before the clock
    starts: encoding them is audience-svc's work, not dispatch's. They go out as audience-svc
    sends them, in per-partition batches (`send_in_batches`).
    """
    campaign = f"bench-{channel.value.lower()}-{uuid.uuid4().hex[:6]}"
    launched, *due = campaign_events(campaign, channel, count, zone, datetime.now(UTC))
    await EventPublisher(settings, producer).publish_many([launched])
    records = [
        (
            settings.topic(event.type),
            event.key,
            event.to_json(),
            event_headers(event.type, event.trace_id),
        )
        for event in due
    ]
    # Counted by the topic's end offsets, not read back record by record: the bench takes no
    # CPU per event from the 2 cores the servers share.
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await consumer.start()
    topic = settings.topic("message.sent")
    partitions = [TopicPartition(topic, p) for p in sorted(await producer.partitions_for(topic))]
    before = sum((await consumer.end_offsets(partitions)).values())
    started = time.perf_counter()
    await asyncio.gather(*await send_in_batches(producer, records))
    first = last = 0.0
    sent = 0
    while sent < count:
        await asyncio.sleep(0.02)
        sent = sum((await consumer.end_offsets(partitions)).values()) - before
        if sent and not first:
            first = time.perf_counter()
        last = time.perf_counter()
    await consumer.stop()
    return last - started, last - first


async def wait_ready(port: int, process: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(600):
            if process.poll() is not None:
                raise SystemExit(f"dispatch-svc exited with {process.returncode}")
            try:
                if (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit("dispatch-svc not ready after 60 s")


PROFILED = """
import cProfile, signal, sys
from dispatch_svc.__main__ import main
profiler = cProfile.Profile()
def stop(*_):
    profiler.disable()
    profiler.dump_stats({path!r})
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
profiler.enable()
main()
stop()
"""


def cpu_seconds(pid: int) -> tuple[float, float]:
    """(user, system) CPU seconds a process has used so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


SERVER_GROUPS = {
    "mailpit": "Mailpit",
    "ferretdb": "FerretDB",
    "postgres": "PostgreSQL",
    "java": "Kafka",
}


def servers_cpu() -> dict[str, float]:
    """CPU seconds used so far by the shared servers, summed over their processes (Linux)."""
    used = dict.fromkeys(SERVER_GROUPS.values(), 0.0)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # the process ended meanwhile
            continue
        group = SERVER_GROUPS.get(text[text.index("(") + 1 : text.rindex(")")])
        if group is not None:
            fields = text.rpartition(")")[2].split()
            used[group] += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return used


def cpu_per_message(before: dict[str, float], after: dict[str, float], count: int) -> str:
    return ", ".join(f"{name} {(after[name] - before[name]) / count * 1e6:,.0f}" for name in before)


def start_service(
    env: dict[str, str], log: Path, profile: str | None = None
) -> subprocess.Popen[bytes]:
    """The service as its own process; with `profile`, under cProfile (stats written there on
    the clean stop, then read with `python -m pstats`)."""
    command = [sys.executable, "-m", "dispatch_svc"]
    if profile:  # uvicorn re-raises SIGTERM after its shutdown: dump the stats from there
        command = [sys.executable, "-c", PROFILED.format(path=profile)]
    with log.open("wb") as handle:
        return subprocess.Popen(command, env=env, stdout=handle, stderr=handle)


async def main_async(
    count: int,
    profile: str | None = None,
    email_only: bool = False,
    rounds: int = 1,
    warmup: int = 2_000,
    listmonk_bin: Path | None = None,
) -> None:
    run = uuid.uuid4().hex[:6]
    settings = Settings(
        service="bench-dispatch",
        kafka_topic_prefix=f"bench-{run}.",
        mongo_db_prefix=f"bench_{run}_",
    )
    async with httpx.AsyncClient() as client:
        await client.post(f"{TWILIO_API}/_fake/behaviour", json={"statusCallbacks": False})
        await client.delete(f"{TWILIO_API}/_fake/messages")

    print(f"raw ceilings of the same servers ({count:,} messages unless noted):")
    ceilings: dict[int, list[float]] = {10: [], 50: []}
    for connections, n in ((1, min(count, 4_000)), (10, count), (50, count)):
        seconds = await raw_smtp(n, connections)
        ceilings.setdefault(connections, []).append(n / seconds)
        print(
            f"  aiosmtplib -> Mailpit, {connections:>2} connections   {rate(n, seconds)}"
            f"  ({RAW_CPU[connections] * 1e6:,.0f} µs CPU/msg)"
        )
        print(f"      servers' µs CPU/msg: {RAW_SERVERS[connections]}")
    listmonk = [await listmonk_rate(count, listmonk_bin)] if listmonk_bin else []
    print(f"  httpx -> Twilio fake, 64 connections (8 clients) {rate(count, await raw_sms(count))}")
    produced, consumed = await raw_kafka(settings, 2 * count)
    print(f"  aiokafka produce (acks=all)               {rate(2 * count, produced)}")
    print(f"  aiokafka consume                          {rate(2 * count, consumed)}")

    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "KAFKA_TOPIC_PREFIX": settings.kafka_topic_prefix,
        "MONGO_DB_PREFIX": settings.mongo_db_prefix,
        "TWILIO_API_BASE": TWILIO_API,
        "TWILIO_ACCOUNT_SID": TWILIO_SID,
        "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "SMTP_HOST": SMTP_HOST,
        "SMTP_PORT": str(SMTP_PORT),
        "LOG_LEVEL": "WARNING",
    }
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-dispatch-{run}.log"
    process = start_service(env, log, profile)
    try:
        await wait_ready(port, process)
        await ensure_topics(settings)
        producer = make_producer(settings)
        await producer.start()
        zone = awake_zone(datetime.now(UTC))
        print(f"dispatch-svc (one process, pid {process.pid}, rate limits off; log {log}):")
        # Untimed: Kafka's JIT warms on the service's own traffic (a first pass without it saw
        # Kafka spend ~3x its warm CPU per message).
        if warmup:
            await empty_mailpit()
            await through_service(settings, producer, Channel.EMAIL, warmup, zone)
            print(f"  warm-up: {warmup:,} emails through the service, untimed")
        ours: list[float] = []
        for channel in (Channel.EMAIL,) if email_only else (Channel.EMAIL, Channel.SMS):
            await empty_mailpit()
            cpu, servers = cpu_seconds(process.pid), servers_cpu()
            total, sending = await through_service(settings, producer, channel, count, zone)
            if channel is Channel.EMAIL:
                ours.append(count / total)
            user, system = (
                after - before for after, before in zip(cpu_seconds(process.pid), cpu, strict=True)
            )
            servers_used = cpu_per_message(servers, servers_cpu(), count)
            print(f"  {channel.value:<5} end to end (due -> provider -> sent) {rate(count, total)}")
            print(
                f"  {channel.value:<5} send phase (first to last sent)     {rate(count, sending)}"
            )
            print(
                f"  {channel.value:<5} dispatch-svc CPU per message         "
                f"{(user + system) / count * 1e6:8,.0f} µs (system {system / count * 1e6:,.0f})"
            )
            print(f"        servers' µs CPU/msg meanwhile: {servers_used}")
        for round_number in range(2, rounds + 1):
            figures = []
            for connections in (10, 50):
                ceilings[connections].append(count / await raw_smtp(count, connections))
                figures.append(f"aiosmtplib {connections}: {ceilings[connections][-1]:,.0f}")
            await empty_mailpit()
            total, _ = await through_service(settings, producer, Channel.EMAIL, count, zone)
            ours.append(count / total)
            if listmonk_bin:
                listmonk.append(await listmonk_rate(count, listmonk_bin))
                figures.append(f"listmonk: {listmonk[-1]:,.0f}")
            print(
                f"  round {round_number}: EMAIL end to end {ours[-1]:,.0f} msg/s, {', '.join(figures)}"
            )
        print_rounds(ours, ceilings, listmonk)
        await producer.stop()
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    if not listmonk_bin:
        print("listmonk skipped: give --listmonk-bin (a v6.2.0 binary built from its source)")


async def listmonk_rate(count: int, listmonk_bin: Path) -> float:
    peer = await asyncio.to_thread(
        run_listmonk, count, listmonk_bin, SMTP_HOST, SMTP_PORT, MAILPIT_API
    )
    print(f"  listmonk, 10 connections                  {rate(count, peer.seconds)}")
    return peer.rate


def print_rounds(
    ours: list[float], ceilings: dict[int, list[float]], listmonk: list[float]
) -> None:
    """Medians over the rounds, and each rate as a share of the ceilings and of listmonk in its
    own round: the machine's noise moves them together, so the shares compare across runs."""
    rounds = f"{len(ours)} rounds" if len(ours) > 1 else "1 round"
    print(f"over {rounds} (median, min-max):")
    print(
        f"  EMAIL end to end         {median(ours):7,.0f} msg/s  ({min(ours):,.0f}-{max(ours):,.0f})"
    )
    for connections in (10, 50):
        shares = [mine / ceiling for mine, ceiling in zip(ours, ceilings[connections], strict=True)]
        print(
            f"  aiosmtplib {connections:>2} connections {median(ceilings[connections]):7,.0f} msg/s;"
            f" ours {median(shares):.0%} of it"
        )
    if listmonk:
        shares = [mine / theirs for mine, theirs in zip(ours, listmonk, strict=True)]
        print(
            f"  listmonk, 10 connections {median(listmonk):7,.0f} msg/s;"
            f" ours {median(shares):.2f}x of it (median of the rounds' ratios)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--profile", help="run dispatch-svc under cProfile, stats to this file")
    parser.add_argument("--email-only", action="store_true", help="skip the SMS pass")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="repeat aiosmtplib (10 and 50 connections) and the email pass this many times, "
        "alternately, and print medians and shares",
    )
    parser.add_argument(
        "--warmup",
        type=int,
        default=2_000,
        help="emails sent through the service, untimed, before the measured passes",
    )
    parser.add_argument(
        "--listmonk-bin",
        type=Path,
        default=os.environ.get("LISTMONK_BIN"),
        help="a listmonk v6.2.0 binary built from its source: the peer, measured each round",
    )
    args = parser.parse_args()
    # the raw ceilings run on the event loop the services run on (uvicorn loop="uvloop")
    uvloop.run(
        main_async(
            args.messages,
            args.profile,
            args.email_only,
            args.rounds,
            args.warmup,
            args.listmonk_bin,
        )
    )


if __name__ == "__main__":
    main()
