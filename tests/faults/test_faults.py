"""One campaign of a few thousand patients (email -> SMS -> mail, variants A/B, a 10 % holdout,
STOP / YES / free replies, clicks, bounces, rebookings) through the whole system while it
fails, ending with exactly the figures its truth (tests/faults/fault_truth.py) gives.

Each test is one run with one kind of fault; each prints its seed (FAULTS_SEED replays it) and
the time from the last fault's end until the stats were exact. FAULTS_PATIENTS sets the size
(default 600 for ./dev test; by hand e.g. FAULTS_PATIENTS=5000).

No message is lost, and none is sent twice except where the contract allows it: an SMTP or
Twilio call in flight at a kill, whose retry is flagged `retried` on message.sent and counted.
"""

import asyncio
import os
import random
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import pytest
from fault_campaign import Outcome, run_campaign
from fault_fleet import Replica
from fault_infra import wait_for_port
from fault_run import Fault, Run, World, patients, phase_reached
from fault_truth import close_enough

from reengage_common.events import message_id

pytestmark = [pytest.mark.infra, pytest.mark.timeout(600)]

SEED = int(os.environ.get("FAULTS_SEED", random.SystemRandom().randrange(1_000_000)))
# the email senders' and texters' concurrency: at most this many calls in flight at a kill
IN_FLIGHT = 64 + 32
DB_OUTAGE_SECONDS = float(os.environ.get("FAULTS_DB_OUTAGE_SECONDS", "20"))


def report(name: str, seed: int, outcome: Outcome) -> None:
    run = outcome.run
    print(f"\n[{name}] seed {seed}, {run.clinic.size} patients, campaign {run.campaign_id}")
    for fault in run.faults:
        print(f"  fault: {fault.what}")
    print(f"  converged {outcome.converged:.1f} s after the last fault; "
          f"whole run {time.monotonic() - run.started:.1f} s")  # fmt: skip
    print(f"  retried sends {len(outcome.retried)}, delivered twice {len(outcome.repeated)}")


def assert_exact(outcome: Outcome, may_repeat: bool) -> None:
    """Every figure; every message at its provider; repeats only of flagged retries."""
    the_plan = outcome.run.the_plan
    assert the_plan is not None
    assert close_enough(outcome.expected, outcome.seen)
    cid, mid = outcome.run.campaign_id, {}
    mid["EMAIL"] = {message_id(cid, p, 1, 1) for p in the_plan.treated}
    mid["SMS"] = {message_id(cid, p, 1, 2) for p in the_plan.step_two}
    mid["MAIL"] = {message_id(cid, p, 1, 3) for p in the_plan.step_three}
    for channel, wanted in mid.items():
        assert set(outcome.deliveries[channel]) == wanted, channel
    assert outcome.repeated <= outcome.retried
    assert max(n for counts in outcome.deliveries.values() for n in counts.values()) <= 2
    if not may_repeat:
        assert not outcome.repeated


async def kill_and_restart(run: Run, chance: random.Random, victims: list[Replica]) -> None:
    names = " and ".join(v.name for v in victims)
    for victim in victims:
        victim.kill()
    down = chance.uniform(0.5, 3.0)
    await asyncio.sleep(down)
    await asyncio.gather(*(run.world.fleet.restart(v) for v in victims))
    print(
        f"  {time.monotonic() - run.started:6.1f} s ({datetime.now(UTC):%H:%M:%S.%f}): killed {names} in '{run.phase}'"
    )
    run.faults.append(Fault(f"SIGKILL {names} in '{run.phase}', down {down:.1f} s",
                            time.monotonic()))  # fmt: skip


def processes_killed(seed: int) -> Callable[[Run], Awaitable[None]]:
    async def plan(run: Run) -> None:
        chance = random.Random(seed)
        fleet = run.world.fleet
        singles = [chance.choice(group) for group in fleet.replicas.values()]
        chance.shuffle(singles)
        rounds = [[victim] for victim in singles] + [chance.sample(fleet.all, 2) for _ in range(2)]
        # one round in each phase of the campaign, at a random moment into it (a phase the
        # previous round's restart outlasted is hit as soon as the round can)
        phases = ("launch", "step 1", "email answers", "step 2", "SMS answers", "step 3")
        run.fault_phases.update(phases)
        for phase, victims in zip(phases, rounds, strict=True):
            await phase_reached(run, phase)
            await asyncio.sleep(chance.uniform(0.0, 1.5))
            await kill_and_restart(run, chance, victims)
            run.fault_phases.discard(phase)

    return plan


def brokers_killed(seed: int) -> Callable[[Run], Awaitable[None]]:
    async def plan(run: Run) -> None:
        chance = random.Random(seed)
        cluster = run.world.servers.cluster
        run.fault_phases.update(("step 1", "step 2"))
        for phase, pick in (("step 1", lambda: chance.choice(cluster.brokers)),
                            ("step 2", cluster.controller)):  # fmt: skip
            await phase_reached(run, phase)
            await asyncio.sleep(chance.uniform(0.0, 1.5))
            broker = pick()
            broker.process.kill()
            broker.process.wait()
            down = chance.uniform(3.0, 8.0)
            what = f"SIGKILL broker {broker.node_id} in '{run.phase}'"
            await asyncio.sleep(down)
            cluster.start_broker(broker)
            await asyncio.to_thread(wait_for_port, broker.port, 120, "broker", broker.log)
            run.faults.append(Fault(f"{what}, down {down:.1f} s", time.monotonic()))
            run.fault_phases.discard(phase)

    return plan


async def readiness_while(run: Run, seconds: float) -> dict[str, bool]:
    """Whether each replica answered not ready at least once in the next `seconds`."""
    seen_down: dict[str, bool] = {}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for name, ready in (await run.world.fleet.ready()).items():
            seen_down[name] = seen_down.get(name, False) or not ready
        await asyncio.sleep(0.5)
    return seen_down


def database_gone(seed: int, outages: list[dict[str, bool]]) -> Callable[[Run], Awaitable[None]]:
    async def plan(run: Run) -> None:
        chance = random.Random(seed)
        database = run.world.servers.database
        run.fault_phases.update(("step 1", "step 2"))
        await phase_reached(run, "step 1")
        await asyncio.sleep(chance.uniform(0.0, 1.0))
        await asyncio.to_thread(database.stop_postgres)
        what = f"PostgreSQL stopped in '{run.phase}' for {DB_OUTAGE_SECONDS:.0f} s"
        outages.append(await readiness_while(run, DB_OUTAGE_SECONDS))
        await asyncio.to_thread(database.start_postgres)
        run.faults.append(Fault(what, time.monotonic()))
        run.fault_phases.discard("step 1")
        await phase_reached(run, "step 2")
        await asyncio.sleep(chance.uniform(0.0, 1.0))
        database.kill_ferretdb()
        what = f"FerretDB SIGKILLed in '{run.phase}'"
        down = chance.uniform(3.0, 6.0)
        outages.append(await readiness_while(run, down))
        await asyncio.to_thread(database.start_ferretdb)
        run.faults.append(Fault(f"{what}, down {down:.1f} s", time.monotonic()))
        run.fault_phases.discard("step 2")

    return plan


async def test_every_service_sigkilled_one_then_two_at_a_time(world: World) -> None:
    seed = SEED
    outcome = await run_campaign(world, patients(), seed, processes_killed(seed))
    report("processes killed", seed, outcome)
    assert len(outcome.run.faults) == 6
    assert_exact(outcome, may_repeat=True)
    assert len(outcome.repeated) <= IN_FLIGHT * 6


async def test_a_broker_then_the_controller_dies(world: World) -> None:
    seed = SEED + 1
    outcome = await run_campaign(world, patients(), seed, brokers_killed(seed))
    report("brokers killed", seed, outcome)
    assert len(outcome.run.faults) == 2
    assert_exact(outcome, may_repeat=False)


async def test_the_database_goes_away_and_comes_back(world: World) -> None:
    seed = SEED + 2
    pids = {r.name: r.process.pid for r in world.fleet.all if r.process}
    outages: list[dict[str, bool]] = []
    outcome = await run_campaign(world, patients(), seed, database_gone(seed, outages))
    report("database gone", seed, outcome)
    for outage in outages:  # every replica said so while it could not reach its database
        assert all(outage.values()), outage
    assert {r.name: r.process.pid for r in world.fleet.all if r.process} == pids  # no restart
    assert all((await world.fleet.ready()).values())
    # Sends whose outcome could not be stored while the database was gone are sent again by the
    # next sender (flagged `retried`, counted): dispatch's sender loses its lease when it cannot
    # renew it, and with it the outcomes it holds (an open bug, docs/operations.md).
    assert_exact(outcome, may_repeat=True)


async def test_every_event_delivered_twice_and_out_of_order(world: World) -> None:
    seed = SEED + 3
    outcome = await run_campaign(world, patients(), seed, None, twice=True)
    report("every event twice", seed, outcome)
    assert_exact(outcome, may_repeat=False)
