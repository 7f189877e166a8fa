"""Clinic staff on the console while a large email campaign sends, beside the same on an idle
system and the send with no API load, in one run (by hand, not in ./dev test):

    ./dev up
    .venv/bin/python tests/load/run_load.py [--patients 100000] [--clinics 20] [--users 60]

Against the running `./dev up` system it

1. seeds `--clinics` small clinics (each with a launched campaign, so their dashboards and
   recipients pages have something to show) and two large ones of `--patients` patients, through
   `patient.upserted` / `appointment.updated` (deploy/local/seed.py), and waits until every
   consumer group has taken them in;
2. idle: runs the locust scenario (tests/load/locustfile.py) for `--duration` seconds;
3. send alone: launches the first large clinic's email campaign and follows its emails into
   Mailpit, with no API load;
4. send + API: launches the second one's and runs the scenario (its staff included) until
   the send ends;
5. prints p50/p95/p99 and requests/s per operation, idle and during the send, and each send's
   steady rate (10 %..90 % of its emails, from Mailpit's receive times) and their ratio.
"""

import argparse
import asyncio
import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx

os.environ.setdefault("ENV", "development")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "deploy" / "local"))
sys.path.insert(0, str(ROOT / "tests" / "bench"))

from bench_pipeline import (  # noqa: E402  tests/bench/bench_pipeline.py
    ZONE,
    _next_slot,
    consumer_lag,
    create_campaign,
    received_times,
    sender_domain,
    stats_of,
    token_for,
)
from peers import steady_rate  # noqa: E402
from seed import publish_clinic  # noqa: E402

from reengage_common.settings import Settings, load_settings  # noqa: E402

GATEWAY = os.environ.get("GATEWAY_URL", "http://127.0.0.1:8000")
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
PERCENTILES = ("50%", "95%", "99%")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=100_000, help="each large clinic's")
    parser.add_argument("--clinics", type=int, default=20, help="small clinics using the console")
    parser.add_argument("--clinic-patients", type=int, default=300)
    parser.add_argument("--users", type=int, default=60, help="staff using the console at once")
    parser.add_argument("--duration", type=int, default=60, help="seconds of the idle phase")
    parser.add_argument("--seed", type=int, default=21)
    return parser.parse_args()


# How long to wait for the consumer groups to catch up before measuring anyway: another client
# of the same `./dev up` system (a benchmark) keeps them busy.
SETTLE_LIMIT = 600.0


async def settle(settings: Settings) -> None:
    """Until every consumer group has handled everything published so far."""
    started = time.monotonic()
    while any((lag := await consumer_lag(settings)).values()):
        print(f"  consumer lag {lag} at +{time.monotonic() - started:.0f} s", flush=True)
        if time.monotonic() - started > SETTLE_LIMIT:
            print("  still behind: someone else is using the system; measuring anyway")
            return
        await asyncio.sleep(3)


async def seed_clinics(settings: Settings, args: argparse.Namespace, run: str) -> dict[str, Any]:
    small = [f"load-{run}-{n:02d}" for n in range(args.clinics)]
    large = [f"load-{run}-large-{n}" for n in (1, 2)]
    started = time.monotonic()
    for n, clinic in enumerate(small):
        await publish_clinic(
            clinic, args.clinic_patients, args.seed + n, date.today(), zone=ZONE.key
        )
    for n, clinic in enumerate(large):
        await publish_clinic(
            clinic, args.patients, args.seed + 100 + n, date.today(), zone=ZONE.key
        )
    print(f"seeded {len(small)} x {args.clinic_patients} + 2 x {args.patients:,} patients in "
          f"{time.monotonic() - started:.0f} s", flush=True)  # fmt: skip
    await settle(settings)
    return {"small": small, "large": large}


def client_for(settings: Settings, clinic: str) -> httpx.AsyncClient:
    token = token_for(settings, clinic)
    return httpx.AsyncClient(base_url=GATEWAY, timeout=60,
                             headers={"Authorization": f"Bearer {token}"})  # fmt: skip


async def launch(settings: Settings, clinic: str, lead_seconds: float = 15) -> str:
    """The clinic's email campaign, created and launched for the next whole minute."""
    async with client_for(settings, clinic) as client:
        campaign_id = await create_campaign(
            client, clinic, _next_slot(datetime.now(UTC), lead_seconds)
        )
        answer = await client.post(f"/api/booking/campaigns/{campaign_id}/launch")
        answer.raise_for_status()
    return campaign_id


async def follow_send(settings: Settings, clinic: str, campaign_id: str) -> dict[str, Any]:
    """Until the stats count every recipient done and Mailpit holds every email; the rate."""
    async with client_for(settings, clinic) as client:
        while True:
            await asyncio.sleep(2)
            stats = await stats_of(client, campaign_id)
            done = sum(stats.get(key, 0) for key in ("sent", "failed", "skipped"))
            if stats.get("recipients") and done >= stats["recipients"]:
                break
    times = await asyncio.to_thread(received_times, sender_domain(clinic), stats["sent"])
    return {"sent": stats["sent"], "seconds": times[-1] - times[0] if times else 0.0,
            "rate": steady_rate(times)}  # fmt: skip


def write_clinics(settings: Settings, clinics: dict[str, list[str]], path: Path) -> None:
    rows = [{"clinic": clinic, "token": token_for(settings, clinic), "campaigns": ids}
            for clinic, ids in clinics.items()]  # fmt: skip
    path.write_text(json.dumps(rows))


def start_locust(args: argparse.Namespace, clinics_file: Path, csv_prefix: Path,
                 seconds: int) -> subprocess.Popen[bytes]:  # fmt: skip
    locust = Path(sys.executable).with_name("locust")
    return subprocess.Popen(
        [
            str(locust),
            "-f",
            str(LOCUSTFILE),
            "--headless",
            "-u",
            str(args.users),
            "-r",
            str(max(1, args.users // 5)),
            "-t",
            f"{seconds}s",
            "--host",
            GATEWAY,
            "--csv",
            str(csv_prefix),
            "--only-summary",
            "--stop-timeout",
            "5",
        ],
        env={**os.environ, "LOAD_CLINICS_FILE": str(clinics_file)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def read_stats(csv_prefix: Path) -> dict[str, dict[str, str]]:
    with open(f"{csv_prefix}_stats.csv") as held:
        return {row["Name"]: row for row in csv.DictReader(held)}


def report(idle: dict[str, dict[str, str]], busy: dict[str, dict[str, str]],
           alone: dict[str, Any], loaded: dict[str, Any]) -> None:  # fmt: skip
    print("\noperation                     |       idle: p50   p95   p99  req/s  fail |"
          "  during send: p50   p95   p99  req/s  fail")  # fmt: skip
    for name in sorted(set(idle) | set(busy)):
        cells = []
        for stats in (idle, busy):
            row = stats.get(name, {})
            cells.append("".join(f"{row.get(p, '-'):>6}" for p in PERCENTILES)
                         + f"{float(row.get('Requests/s', 0) or 0):7.1f}"
                         + f"{row.get('Failure Count', '-'):>6}")  # fmt: skip
        print(f"{name[:29]:<29} | {cells[0]:>38} | {cells[1]:>44}")
    for label, send in (("send alone", alone), ("send + API", loaded)):
        rate = send["rate"]
        print(f"{label}: {send['sent']:,} emails, first -> last {send['seconds']:.0f} s, "
              f"steady {rate:.0f} emails/s" if rate else f"{label}: {send}")  # fmt: skip
    if alone["rate"] and loaded["rate"]:
        print(f"send rate under API load: {loaded['rate'] / alone['rate']:.2f} of the rate alone")


async def main_async(args: argparse.Namespace) -> None:
    settings = load_settings("load")
    run = datetime.now(UTC).strftime("%m%d%H%M")
    clinics = await seed_clinics(settings, args, run)
    campaigns = {clinic: [await launch(settings, clinic)] for clinic in clinics["small"]}
    print("small clinics' campaigns launched; waiting for their sends", flush=True)
    await asyncio.sleep(75)  # past their send time
    await settle(settings)
    work = Path(tempfile.mkdtemp(prefix="reengage-load-"))
    clinics_file = work / "clinics.json"
    write_clinics(settings, campaigns, clinics_file)

    print(f"idle: {args.users} staff for {args.duration} s", flush=True)
    start_locust(args, clinics_file, work / "idle", args.duration).wait()
    idle = read_stats(work / "idle")

    first, second = clinics["large"]
    print(f"send alone: {args.patients:,} emails of {first}", flush=True)
    alone = await follow_send(settings, first, await launch(settings, first))
    await settle(settings)

    campaign = await launch(settings, second)
    write_clinics(settings, {**campaigns, second: [campaign]}, clinics_file)
    print(f"send + API: {args.patients:,} emails of {second}, {args.users} staff", flush=True)
    locust = start_locust(args, clinics_file, work / "busy", 3600)
    try:
        loaded = await follow_send(settings, second, campaign)
    finally:
        locust.send_signal(signal.SIGTERM)  # locust writes its summary and CSV on SIGTERM
        locust.wait(timeout=60)
    report(idle, read_stats(work / "busy"), alone, loaded)
    print(f"\nlocust CSVs in {work}")


def main() -> None:
    asyncio.run(main_async(arguments()))


if __name__ == "__main__":
    main()
