"""A soak (by hand, not in ./dev test): campaigns send and clinic staff use the console for
`--minutes` (30 by default) while the memory of every process of the system is sampled each
minute; prints the samples and each process's growth after warm-up.

    ./dev up
    .venv/bin/python tests/load/soak.py [--minutes 30] [--patients 5000] [--users 30]

Every `--every` minutes a new clinic of `--patients` patients is seeded and its email campaign
launched (a clinic's patients are targeted once within 30 days, so each send needs its own);
the locust scenario (tests/load/locustfile.py) runs throughout against those clinics.
Memory is the resident set (VmRSS) of each process `./dev up` started, by its pid file.
"""

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from run_load import (
    ZONE,
    launch,
    publish_clinic,
    start_locust,
    write_clinics,
)

from reengage_common.settings import load_settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from bench_pipeline import SERVICES, _pid_of

WARM_UP_MINUTES = 5


def resident_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def sample() -> dict[str, float | None]:
    parts = (*SERVICES, "kafka", "ferretdb", "mailpit")
    return {name: resident_mb(pid) if (pid := _pid_of(name)) else None for name in parts}


def report(samples: list[dict[str, float | None]]) -> None:
    names = list(samples[0])
    print("\nminute " + "".join(f"{name[:15]:>16}" for name in names))
    for minute, row in enumerate(samples):
        cells = "".join(f"{row[n]:>16.0f}" if row[n] is not None else f"{'-':>16}" for n in names)
        print(f"{minute:>6} {cells}")
    start = samples[min(WARM_UP_MINUTES, len(samples) - 1)]
    end = samples[-1]
    print(f"\ngrowth from minute {min(WARM_UP_MINUTES, len(samples) - 1)} to the end (MB):")
    for name in names:
        if start[name] is not None and end[name] is not None:
            print(
                f"  {name:<16} {end[name] - start[name]:+8.1f}  ({start[name]:.0f} -> {end[name]:.0f})"
            )


async def main_async(args: argparse.Namespace) -> None:
    settings = load_settings("soak")
    run = datetime.now(UTC).strftime("%m%d%H%M")
    work = Path(tempfile.mkdtemp(prefix="reengage-soak-"))
    clinics_file = work / "clinics.json"
    campaigns: dict[str, list[str]] = {}
    samples = [sample()]
    locust = None
    started = time.monotonic()
    for minute in range(1, args.minutes + 1):
        if (minute - 1) % args.every == 0:
            clinic = f"soak-{run}-{minute:03d}"
            await publish_clinic(clinic, args.patients, minute, date.today(), zone=ZONE.key)
            campaigns[clinic] = [await launch(settings, clinic)]
            write_clinics(settings, campaigns, clinics_file)
            if locust is None:  # the scenario reads its clinics once, at its start
                locust = start_locust(args, clinics_file, work / "soak", args.minutes * 60)
            print(f"minute {minute}: {clinic} seeded and launched", flush=True)
        await asyncio.sleep(max(0.0, started + minute * 60 - time.monotonic()))
        samples.append(sample())
        print(f"minute {minute}: " + ", ".join(
            f"{n} {v:.0f}" for n, v in samples[-1].items() if v is not None), flush=True)  # fmt: skip
    if locust is not None:
        locust.terminate()
        locust.wait(timeout=60)
    report(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=int, default=30)
    parser.add_argument("--every", type=int, default=5, help="minutes between launches")
    parser.add_argument("--patients", type=int, default=5_000)
    parser.add_argument("--users", type=int, default=30)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
