"""The whole pipeline as a clinic uses it, beside the peer a user would pick instead.

    ./dev up
    .venv/bin/python tests/bench/bench_pipeline.py [--patients 100000] [--listmonk-bin PATH]

Against the running `./dev up` system (every service, the real Kafka, FerretDB and Mailpit):

1. seeds a new clinic of N patients through `patient.upserted` / `appointment.updated` (the
   integration API a practice system writes to, `deploy/local/seed.py`);
2. waits until the audience estimate stops changing and every consumer group's lag is 0;
3. creates the clinic's profile and an email campaign with the README's template through the
   gateway, and launches it a moment before its send time;
4. follows Mailpit until every targeted email arrived and the stats are exact, while sampling
   four API operations a clinic's staff use (campaigns page with counters, a campaign, its
   stats, an estimate);
5. in the same run, sends the same number of emails into the same Mailpit with aiosmtplib alone
   (the raw ceiling) and with listmonk (a v6.2.0 binary you built from its source, given by
   `--listmonk-bin` or `LISTMONK_BIN`; skipped with a note when absent).

Building that listmonk: its v6.2.0 tag (`fetch` knadh/listmonk, or a clone), a stub
`frontend/dist/index.html`, `go build -o listmonk ./cmd`, then its static files packed into the
binary as its Makefile's `pack-bin` does (without them `--install` stops at "failed reading
static files"): `go install github.com/knadh/stuffbin/stuffbin` (the version its go.mod pins)
and `stuffbin -a stuff -in listmonk -out listmonk config.toml.sample schema.sql
queries:/queries permissions.json static/public:/public static/email-templates
frontend/dist:/admin i18n:/i18n`.

It prints seed time, projection lag, launch -> first email, first -> last email, launch -> stats
exact, failed messages and why, API p50/p99 per operation, CPU seconds per process, and the
pipeline's end-to-end rate as a share of listmonk's and of the ceiling. Machines here are
noisy: compare the ratios of one run, not absolute times across runs.
"""

import argparse
import asyncio
import os
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient

# Against `./dev up`'s local system, whose development tokens and settings this bench uses.
os.environ.setdefault("ENV", "development")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "deploy" / "local"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from peers import make_room, steady_rate  # noqa: E402  tests/bench/peers.py
from seed import publish_clinic  # noqa: E402  deploy/local/seed.py

from reengage_common.auth import development_signing_key, issue_token  # noqa: E402
from reengage_common.settings import Settings, load_settings  # noqa: E402

GATEWAY = os.environ.get("GATEWAY_URL", "http://127.0.0.1:8000")
MAILPIT = os.environ.get("MAILPIT_API_BASE", "http://127.0.0.1:8025")
SMTP_HOST = os.environ.get("SMTP_HOST", "127.0.0.1")
SMTP_PORT = int(os.environ.get("SMTP_PORT", "1025"))
DISPATCH = os.environ.get("DISPATCH_URL", "http://127.0.0.1:8103")
RUN_DIR = Path(os.environ.get("REENGAGE_CACHE", Path.home() / ".cache" / "reengage")) / "run"
SERVICES = (
    "gateway",
    "campaign-svc",
    "audience-svc",
    "audience-worker",
    "dispatch-svc",
    "dispatch-worker",
    "tracking-svc",
    "tracking-worker",
)
# campaign-svc consumes no topic (its old patient projection group may linger on a broker).
SERVICE_GROUPS = ("audience-svc", "dispatch-svc", "tracking-svc")
# The README's own template (Quickstart's createCampaign), as its email step.
README_SUBJECT = "We miss you, {{ patient.firstName }}"
README_BODY = "Your last visit was {{ patient.lastVisitDate | ago }}. Book: {{ bookingLink }}"
TARGETING = {"inactiveDays": 180}
# Longer than audience-svc's ESTIMATE_FRESH_SECONDS, so every poll sees a newer computation.
POLL_SECONDS = 16.0


def daytime_zone(now: datetime) -> ZoneInfo:
    """A zone where it is between 09:00 and 17:00 now: the clinic's, the campaign's and every
    seeded patient's, so the whole send falls inside the 08:00-21:00 sending hours whenever
    the bench runs (a US clinic's patients in the US evening wait for the next morning)."""
    for key in (
        "America/Chicago",
        "Europe/London",
        "Asia/Tokyo",
        "America/Los_Angeles",
        "Asia/Kolkata",
        "Australia/Sydney",
        "Europe/Berlin",
        "Pacific/Honolulu",
    ):
        if 9 <= now.astimezone(ZoneInfo(key)).hour < 17:
            return ZoneInfo(key)
    raise AssertionError("some zone of the list is at work at any hour")


# The campaign's, the clinic's and the seeded patients' zone.
ZONE = daytime_zone(datetime.now(UTC))
PROFILE = {
    "name": "Bench Dental",
    "phone": "(312) 555-0199",
    "email": "hello@bench-dental.example",
    "address": {
        "line1": "1 Bench Street",
        "city": "Springfield",
        "state": "IL",
        "postalCode": "62701",
        "country": "US",
    },
    "timezone": ZONE.key,
    "bookingUrl": "https://bench-dental.example/book",
    "emailFrom": "Bench Dental <hello@bench-dental.example>",
    "smsFrom": "+15005550006",
    "website": "https://bench-dental.example",
}
CAMPAIGNS_PAGE = """query { campaigns(first: 50) { totalCount edges { node {
  id name status targetCount sentCount responseCount rebookedCount } } } }"""
ESTIMATE = """query($t: TargetingInput!) { audienceEstimate(targeting: $t) {
  __typename ... on AudienceEstimate { targeted } } }"""


# --- clocks and processes -------------------------------------------------------------------


def clock_ticks() -> int:
    return os.sysconf("SC_CLK_TCK")


def process_table() -> dict[str, float]:
    """CPU seconds used so far by each part of the system, by name (PostgreSQL: every backend)."""
    named = {name: _pid_of(name) for name in SERVICES}
    named |= {name: _pid_of(name) for name in ("kafka", "ferretdb", "mailpit")}
    by_pid = {pid: name for name, pid in named.items() if pid}
    used: dict[str, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        try:
            comm = (entry / "comm").read_text().strip()
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        name = by_pid.get(pid) or ("postgres" if comm.startswith("postgres") else None)
        if name is None:
            continue
        seconds = (int(fields[11]) + int(fields[12])) / clock_ticks()
        used[name] = used.get(name, 0.0) + seconds
    return used


def _pid_of(name: str) -> int | None:
    try:
        return int((RUN_DIR / f"{name}.pid").read_text().strip())
    except (OSError, ValueError):
        return None


def cpu_between(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {name: after.get(name, 0.0) - before.get(name, 0.0) for name in after}


# --- the gateway ----------------------------------------------------------------------------


def token_for(settings: Settings, clinic: str) -> str:
    return issue_token(
        development_signing_key(),
        user_id="bench",
        clinic_id=clinic,
        role="clinic_admin",
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )


async def graphql(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    answer = await client.post("/graphql", json={"query": query, "variables": variables})
    answer.raise_for_status()
    document = answer.json()
    if document.get("errors"):
        raise RuntimeError(f"GraphQL errors: {document['errors']}")
    return document["data"]


async def estimate(client: httpx.AsyncClient) -> int:
    answer = await client.post("/api/booking/campaigns/estimate", json={"targeting": TARGETING})
    answer.raise_for_status()
    return int(answer.json()["targeted"])


# --- Kafka lag ------------------------------------------------------------------------------


async def consumer_lag(settings: Settings) -> dict[str, int]:
    """Events each service's consumer group has yet to handle, over every topic it reads."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    probe = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    await probe.start()
    try:
        lag: dict[str, int] = {}
        for service in SERVICE_GROUPS:
            group = f"{settings.kafka_topic_prefix}{service}"
            committed = await admin.list_consumer_group_offsets(group)
            partitions = [tp for tp in committed if not tp.topic.endswith(".dlq")]
            ends = await probe.end_offsets(partitions) if partitions else {}
            lag[service] = sum(
                max(0, ends[tp] - committed[tp].offset) for tp in partitions if tp in ends
            )
        return lag
    finally:
        await probe.stop()
        await admin.close()


# --- phases ---------------------------------------------------------------------------------


@dataclass
class Phases:
    seed_seconds: float = 0.0
    estimate_stable_after: float = 0.0
    lag_zero_after: float = 0.0
    targeted: int = 0
    clinic: str = ""
    launched_at: float = 0.0  # epoch seconds from here on: Mailpit's clock is this machine's
    slot_at: float = 0.0
    first_email_at: float = 0.0
    last_email_at: float = 0.0
    stats_exact_at: float = 0.0
    steady_rate: float | None = None
    api_failures: dict[str, int] = field(default_factory=dict)
    emails: int = 0
    stats: dict[str, Any] = field(default_factory=dict)
    cpu: dict[str, dict[str, float]] = field(default_factory=dict)
    api: dict[str, list[float]] = field(default_factory=dict)
    failures: Counter[str] = field(default_factory=Counter)


async def seed_and_settle(settings: Settings, client: httpx.AsyncClient, args: Any, run: Phases):
    before = process_table()
    started = time.monotonic()
    published = await publish_clinic(
        args.clinic, args.patients, args.seed, date.today(), zone=ZONE.key
    )
    run.seed_seconds = time.monotonic() - started
    seeded = time.monotonic()
    print(f"seed: {published:,} events in {run.seed_seconds:.1f} s", flush=True)
    # audience-svc answers an estimate asked again within ESTIMATE_FRESH_SECONDS (15) as it
    # computed it, and a staler one while it computes the next: polled less often than that,
    # each answer is one computed at the poll before. Settled: every consumer group at lag 0,
    # and then the same figure twice in a row (an equal pair while audience-svc's consumer is
    # still behind is not the clinic's figure). Stable: when the estimate first gave it.
    answers: list[tuple[float, int]] = []
    lag_zero_at: float | None = None
    while True:
        lag_zero_at = await _lag_zero_within(settings, POLL_SECONDS, lag_zero_at, seeded)
        try:
            current = await estimate(client)
        except httpx.HTTPStatusError as error:  # 503: not answered within the gateway's deadline
            print(f"  estimate {error.response.status_code} at +{time.monotonic() - seeded:.0f} s")
            continue
        answers.append((time.monotonic(), current))
        print(f"  estimate {current:,} at +{time.monotonic() - seeded:.0f} s", flush=True)
        settled = [value for at, value in answers if lag_zero_at is not None and at > lag_zero_at]
        if len(settled) >= 2 and settled[-1] == settled[-2]:
            break
    run.targeted = answers[-1][1]
    first_final = next(
        at for n, (at, value) in enumerate(answers) if all(v == value for _, v in answers[n:])
    )
    # an answer is the one computed at the poll before: the figure existed one poll earlier
    run.estimate_stable_after = max(0.0, first_final - POLL_SECONDS - seeded)
    assert lag_zero_at is not None  # the loop ends only after it
    run.lag_zero_after = lag_zero_at - seeded
    run.cpu["seed + projection"] = cpu_between(before, process_table())


async def _lag_zero_within(
    settings: Settings, seconds: float, lag_zero_at: float | None, seeded: float
) -> float | None:
    """Wait `seconds`, looking every 2 s whether every consumer group reached lag 0; when
    they first did (monotonic), or None."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await asyncio.sleep(2)
        if lag_zero_at is not None:
            continue
        lag = await consumer_lag(settings)
        if any(lag.values()):
            print(f"  consumer lag {lag} at +{time.monotonic() - seeded:.0f} s", flush=True)
        else:
            lag_zero_at = time.monotonic()
    return lag_zero_at


async def create_campaign(client: httpx.AsyncClient, clinic: str, send_at: datetime) -> str:
    profile = {**PROFILE, "emailFrom": f"Bench Dental <hello@{sender_domain(clinic)}>"}
    answer = await client.put("/api/booking/clinic", json=profile)
    answer.raise_for_status()
    campaign = {
        "name": f"Bench recall {send_at:%H:%M}",
        "targeting": TARGETING,
        "channels": ["EMAIL"],
        "messageTemplates": [
            {"channel": "EMAIL", "sequence": 1, "subject": README_SUBJECT, "body": README_BODY}
        ],
        "schedule": {"sendTimes": [f"{send_at.astimezone(ZONE):%H:%M}"], "timezone": ZONE.key},
    }
    answer = await client.post("/api/booking/campaigns", json=campaign)
    if answer.status_code >= 300:
        raise RuntimeError(f"createCampaign: {answer.status_code} {answer.text}")
    return answer.json()["id"]


async def stats_of(client: httpx.AsyncClient, campaign_id: str) -> dict[str, Any]:
    answer = await client.get(f"/api/booking/campaigns/{campaign_id}/stats")
    answer.raise_for_status()
    return answer.json()


def _next_slot(now: datetime, lead_seconds: float) -> datetime:
    """The next whole minute at least `lead_seconds` ahead (send times are HH:MM)."""
    slot = (now + timedelta(seconds=lead_seconds)).replace(second=0, microsecond=0)
    return slot + timedelta(minutes=1)


async def launch_and_follow(client: httpx.AsyncClient, args: Any, run: Phases) -> str:
    # Mailpit keeps at most --max messages and prunes beyond: not in the pass (at most one
    # email per patient is coming).
    with httpx.Client() as blocking:
        await asyncio.to_thread(make_room, blocking, MAILPIT, args.patients)
    slot = _next_slot(datetime.now(UTC), lead_seconds=20)
    campaign_id = await create_campaign(client, run.clinic, slot)
    # Launch a few seconds before the send time: the fan-out and queueing happen meanwhile,
    # as they do for listmonk between "start" and its first email; the wait is printed.
    await asyncio.sleep(max(0.0, (slot - datetime.now(UTC)).total_seconds() - args.launch_lead))
    before = process_table()
    run.launched_at = time.time()
    run.slot_at = slot.timestamp()
    answer = await client.post(f"/api/booking/campaigns/{campaign_id}/launch")
    if answer.status_code >= 300:
        raise RuntimeError(f"launch: {answer.status_code} {answer.text}")
    print(f"launched {campaign_id}; send time {slot.astimezone(ZONE):%H:%M} {ZONE.key}", flush=True)
    sampler = ApiSampler(client, campaign_id)
    sampling = asyncio.create_task(sampler.run() if args.sample_api else asyncio.sleep(0))
    try:
        await _follow_mailpit(client, campaign_id, run)
    finally:
        sampler.stop = True
        await sampling
    run.cpu["launch -> stats exact"] = cpu_between(before, process_table())
    await read_receive_times(run)
    run.failures = await failure_reasons(client.headers["Authorization"], campaign_id)
    run.api, run.api_failures = sampler.latencies, sampler.failures
    return campaign_id


async def _follow_mailpit(client: httpx.AsyncClient, campaign_id: str, run: Phases) -> None:
    """Until the stats account for every recipient and Mailpit holds every email they count as
    sent. Mailpit is shared (tests and other clinics send into it): the run's emails are found
    by their sender's domain, and their times are the receive times Mailpit stored."""
    sender = sender_domain(run.clinic)
    while True:
        await asyncio.sleep(1)
        stats = await stats_of(client, campaign_id)
        done = sum(stats.get(key, 0) for key in ("sent", "failed", "skipped"))
        if not stats.get("recipients") or done < stats["recipients"]:
            continue
        held = await asyncio.to_thread(_search, sender, 1, 0)
        if held["messages_count"] >= stats["sent"]:
            run.stats_exact_at, run.stats = time.time(), stats
            break


async def read_receive_times(run: Phases) -> None:
    """When Mailpit stored each of the run's emails (its searches cost Mailpit seconds of CPU
    at 50,000 emails: read after the CPU figures are taken)."""
    times = await asyncio.to_thread(received_times, sender_domain(run.clinic), run.stats["sent"])
    run.emails = len(times)
    run.first_email_at, run.last_email_at = times[0], times[-1]
    run.steady_rate = steady_rate(times)


def sender_domain(clinic: str) -> str:
    return f"{clinic}.example"


def _search(domain: str, limit: int, start: int) -> dict[str, Any]:
    params: dict[str, str | int] = {"query": f"from:{domain}", "limit": limit, "start": start}
    answer = httpx.get(f"{MAILPIT}/api/v1/search", params=params, timeout=120)
    return answer.raise_for_status().json()


def received_times(domain: str, count: int) -> list[float]:
    """Epoch seconds at which Mailpit stored each email from `domain`, in order."""
    found = [
        datetime.fromisoformat(summary["Created"]).timestamp()
        for start in range(0, count, 5_000)
        for summary in _search(domain, 5_000, start)["messages"]
    ]
    return sorted(found)


def _brief(stats: dict[str, Any]) -> str:
    keys = ("targeted", "recipients", "sent", "failed", "skipped")
    return ", ".join(f"{key} {stats.get(key)}" for key in keys)


async def failure_reasons(authorization: str, campaign_id: str) -> Counter[str]:
    """Why messages FAILED, from dispatch-svc's internal API (the gateway has no such view),
    page by page (it answers at most 500 a page)."""
    reasons: Counter[str] = Counter()
    params = {"state": "FAILED", "limit": "500"}
    async with httpx.AsyncClient(base_url=DISPATCH, timeout=120) as dispatch:
        while True:
            answer = await dispatch.get(
                f"/campaigns/{campaign_id}/messages",
                params=params,
                headers={"Authorization": authorization},
            )
            answer.raise_for_status()
            page = answer.json()
            reasons.update(str(m.get("reason")) for m in page["messages"])
            if not page.get("next"):
                return reasons
            params["after"] = page["next"]


class ApiSampler:
    """Four operations of the staff's pages, each sampled in turn while the campaign sends."""

    def __init__(self, client: httpx.AsyncClient, campaign_id: str) -> None:
        self.client = client
        self.campaign_id = campaign_id
        self.stop = False
        self.latencies: dict[str, list[float]] = {}
        self.failures: dict[str, int] = {}

    async def run(self) -> None:
        operations: dict[str, Callable[[], Awaitable[Any]]] = {
            "campaigns page": lambda: graphql(self.client, CAMPAIGNS_PAGE),
            "campaign": lambda: self._get(f"/api/booking/campaigns/{self.campaign_id}"),
            "stats": lambda: self._get(f"/api/booking/campaigns/{self.campaign_id}/stats"),
            "estimate": lambda: graphql(self.client, ESTIMATE, t=TARGETING),
        }
        while not self.stop:
            for name, operation in operations.items():
                started = time.perf_counter()
                try:
                    await asyncio.wait_for(operation(), timeout=15)
                except Exception:  # a timeout or an error answer: counted, and the worst case
                    self.failures[name] = self.failures.get(name, 0) + 1
                self.latencies.setdefault(name, []).append(time.perf_counter() - started)
            await asyncio.sleep(0.2)

    async def _get(self, path: str) -> None:
        (await self.client.get(path)).raise_for_status()


# --- report ---------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def report(run: Phases, peers: list[Any]) -> None:
    sent = run.emails
    send_seconds = run.last_email_at - run.first_email_at
    from_slot = run.last_email_at - max(run.slot_at, run.launched_at)
    from_launch = run.last_email_at - run.launched_at
    # The headline, as listmonk's: campaign start -> last email. Ours includes the wait for the
    # campaign's send time (--launch-lead), listmonk's its wait for its 5 s campaign scan.
    ours = sent / from_launch if from_launch > 0 else 0.0
    print("\n== pipeline ==")
    print(f"seed: {run.seed_seconds:.1f} s")
    print(
        f"projection lag after the seed: estimate stable +{run.estimate_stable_after:.0f} s, "
        f"every consumer group at lag 0 +{run.lag_zero_after:.0f} s"
    )
    print(f"estimate: {run.targeted:,} patients targeted")
    print(
        f"launch -> send time {max(0.0, run.slot_at - run.launched_at):.1f} s (the campaign's "
        f"HH:MM); launch -> first email {run.first_email_at - run.launched_at:.1f} s"
    )
    print(f"first -> last email: {send_seconds:.1f} s for {sent:,} emails")
    print(f"send time -> last email: {from_slot:.1f} s = {sent / from_slot:,.0f} emails/s")
    print(f"launch -> last email: {from_launch:.1f} s = {ours:,.0f} emails/s end to end")
    if run.steady_rate:
        print(f"steady (10% -> 90% of the emails): {run.steady_rate:,.0f} emails/s")
    if run.stats_exact_at:
        print(f"launch -> stats exact: {run.stats_exact_at - run.launched_at:.1f} s")
    else:
        print("stats never matched Mailpit's count")
    print(f"stats: {_brief(run.stats)}")
    for reason, count in run.failures.most_common(5):
        print(f"  FAILED {count:,}: {reason}")
    print("\nAPI during the send (ms):  p50    p99    max   n  failed")
    for name, values in run.api.items():
        print(
            f"  {name:<16} {percentile(values, 0.5) * 1000:7.0f} {percentile(values, 0.99) * 1000:6.0f}"
            f" {max(values) * 1000:6.0f} {len(values):3d} {run.api_failures.get(name, 0):3d}"
        )
    for phase, used in run.cpu.items():
        parts = ", ".join(f"{name} {seconds:.1f}" for name, seconds in sorted(used.items()))
        print(f"CPU seconds, {phase}: {parts}")
    print("\n== same run, same Mailpit ==")
    print(f"  {'pipeline (launch -> last email)':<38} {ours:8,.0f} emails/s")
    for peer in peers:
        steady = f", steady {peer.steady_rate:,.0f}" if peer.steady_rate else ""
        print(f"  {peer.name:<38} {peer.rate:8,.0f} emails/s{steady}  ({peer.notes})")
        if peer.rate:
            print(f"    pipeline / {peer.name}: {ours / peer.rate:.2f}x")


async def run_peers(count: int, args: Any) -> list[Any]:
    import peers

    results = [await peers.aiosmtplib_ceiling(count, 10, SMTP_HOST, SMTP_PORT, mailpit_api=MAILPIT)]
    listmonk_bin = args.listmonk_bin
    if listmonk_bin:
        try:
            listmonk = await asyncio.to_thread(
                peers.run_listmonk,
                count,
                Path(listmonk_bin),
                smtp_host=SMTP_HOST,
                smtp_port=SMTP_PORT,
                mailpit_api=MAILPIT,
            )
        except RuntimeError as failed:  # the pipeline's figures are still printed
            print(f"listmonk failed: {failed}")
        else:
            results.append(listmonk)
    else:
        print("listmonk skipped: give --listmonk-bin (a v6.2.0 binary built from its source)")
    return results


async def main_async(args: Any) -> None:
    settings = load_settings("bench")
    headers = {"Authorization": f"Bearer {token_for(settings, args.clinic)}"}
    run = Phases(clinic=args.clinic)
    print(f"clinic {args.clinic}, {args.patients:,} patients", flush=True)
    async with httpx.AsyncClient(base_url=GATEWAY, headers=headers, timeout=60) as client:
        if args.skip_seed:
            run.targeted = await estimate(client)
        else:
            await seed_and_settle(settings, client, args, run)
        await launch_and_follow(client, args, run)
    peers = [] if args.skip_peers else await run_peers(max(run.emails, 1000), args)
    report(run, peers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--clinic", default=f"bench-{datetime.now(UTC):%m%d%H%M%S}")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--listmonk-bin", default=None)
    parser.add_argument("--skip-peers", action="store_true")
    parser.add_argument(
        "--no-sample-api",
        dest="sample_api",
        action="store_false",
        help="send without the four API operations sampled meanwhile (the rate without staff)",
    )
    parser.add_argument(
        "--skip-seed", action="store_true", help="launch for a clinic seeded by an earlier run"
    )
    parser.add_argument(
        "--launch-lead", type=float, default=5.0, help="seconds between launch and send time"
    )
    args = parser.parse_args()
    args.listmonk_bin = args.listmonk_bin or os.environ.get("LISTMONK_BIN")
    if args.listmonk_bin and not Path(args.listmonk_bin).is_file():
        parser.error(f"--listmonk-bin: no file at {args.listmonk_bin}")
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
