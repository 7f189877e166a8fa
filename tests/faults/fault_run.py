"""One campaign of the fault suite's clinic from its patients to its last rebooking, while a
fault plan runs beside it; then the figures, checked against the truth.

The phases wait on what the system has done, never on time: all of a step sent (message.sent
on Kafka), the patients' answers taken in (tracking published them, dispatch's consumer group
committed them), then the clock jumps to the next step's send time. A fault plan runs
concurrently and records when each fault ended; `converged` is the time from the last fault's
end until the stats were exact.
"""

import asyncio
import os
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from fault_fleet import Fleet
from fault_inject import Publisher, clinic_events
from fault_truth import (
    HOLDOUT_PERCENT,
    INCENTIVE_CODE,
    INCENTIVE_COST_CENTS,
    VARIANTS,
    Clinic,
    Plan,
    next_send_slot,
    plan,
)
from fault_watch import Watch, group_caught_up, group_lag

from reengage_common.auth import SigningKey, issue_token
from reengage_common.events import message_id
from reengage_common.settings import Settings
from reengage_testing import COMPLETE_CLINIC_PROFILE

ZONE = "America/Chicago"
SEND_HOUR = 10
DELAY_DAYS = 2
STEPS = (("EMAIL", 1, 0), ("SMS", 2, DELAY_DAYS), ("MAIL", 3, DELAY_DAYS))
# The longest any phase may wait: a bound on a hang, never a measure (the suite has no timed
# assertions); faults add restarts and retries with backoff to a phase.
PHASE_LIMIT = float(os.environ.get("FAULTS_PHASE_LIMIT", "240"))


def patients() -> int:
    """The clinic's size: FAULTS_PATIENTS (by hand, e.g. 10000), else what fits ./dev test."""
    return int(os.environ.get("FAULTS_PATIENTS", "600"))


@dataclass
class World:
    """What a run talks to; `providers` are the Twilio and Lob stand-ins, `mailpit` its API."""

    fleet: Fleet
    settings: Settings
    providers: Any
    mailpit: str
    key: SigningKey
    secrets: dict[str, str]
    twice_flag: Path
    servers: Any = None  # fault_infra.OwnServers: the cluster, the database, Mailpit
    runs: int = 0


@dataclass
class Fault:
    what: str
    ended: float = 0.0  # monotonic: when it was over (restarted, back up)


@dataclass
class Run:
    """One campaign under faults: its clinic, plan, events seen and faults done."""

    world: World
    clinic: Clinic
    seed: int
    twice: bool
    watch: Watch
    campaign_id: str = ""
    the_plan: Plan | None = None
    faults: list[Fault] = field(default_factory=list)
    phase: str = "seeding"
    started: float = field(default_factory=time.monotonic)
    # phases the fault plan still has to strike in: the campaign does not leave one before
    # (otherwise a restart that outlasts a phase lets the campaign run ahead of its faults)
    fault_phases: set[str] = field(default_factory=set)

    async def enter(self, phase: str) -> None:
        """Leave the current phase once its faults are done, and enter `phase`."""
        # the set is a plain attribute the fault plan changes as it goes
        while any(self.phase.startswith(p) for p in self.fault_phases):  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        self.phase = phase

    @property
    def headers(self) -> dict[str, str]:
        token = issue_token(self.world.key, user_id="u-faults", clinic_id=self.clinic.clinic_id,
                            role="clinic_admin")  # fmt: skip
        return {"authorization": f"Bearer {token}"}

    async def api(self, module: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A service's internal API through whichever replica answers (the gateway's way)."""
        async with httpx.AsyncClient(timeout=30, headers=self.headers) as client:
            for attempt in range(600):
                replicas = self.world.fleet.replicas[module]
                replica = replicas[attempt % len(replicas)]
                try:
                    answer = await client.request(method, replica.url + path, **kwargs)
                    if answer.status_code < 500:
                        return answer
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
        raise AssertionError(f"{module} {method} {path}: no replica answered")


FaultPlan = Callable[[Run], Awaitable[None]]
# The phases of a run in order, by the start of their names (Run.phase).
PHASES = ("seeding", "launch", "step 1", "email answers", "step 2", "SMS answers", "step 3",
          "last bookings", "faults finishing", "converging")  # fmt: skip


def phase_index(phase: str) -> int:
    return next(n for n, name in enumerate(PHASES) if phase.startswith(name))


async def phase_reached(run: Run, phase: str) -> None:
    """Wait until the run is in `phase` or past it."""
    wanted = phase_index(phase)
    # the phase is a plain attribute the campaign's driver sets as it goes
    while phase_index(run.phase) < wanted:  # noqa: ASYNC110
        await asyncio.sleep(0.05)


async def until(
    check: Callable[[], Awaitable[bool]],
    what: str,
    run: Run,
    missing: Callable[[], object] = lambda: "",
) -> None:
    deadline = time.monotonic() + PHASE_LIMIT
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(
                f"seed {run.seed}: {what} did not happen ({run.phase}) {missing()}"[:3000]
            )
        await asyncio.sleep(0.25)


def campaign_input(start: datetime) -> dict[str, Any]:
    templates = []
    for variant, _ in VARIANTS:
        for channel, sequence, delay in STEPS:
            body = {"EMAIL": "Hi {{ patient.firstName }}, book: {{ bookingLink }}",
                    "SMS": "{{ clinic.name }}: {{ bookingLink }}",
                    "MAIL": "Dear {{ patient.firstName }}, call us to book."}[channel]  # fmt: skip
            step = {"channel": channel, "sequence": sequence, "delayDays": delay,
                    "variant": variant, "body": f"[{variant}] {body}"}  # fmt: skip
            if channel == "EMAIL":
                step["subject"] = f"We miss you ({variant})"
            templates.append(step)
    return {
        "name": "Fault suite recall",
        "targeting": {
            "inactiveDays": 180,
            "treatmentStages": ["HYGIENE_RECALL"],
            "excludeRecentContact": True,
            "excludeContactDays": 30,
        },
        "channels": ["EMAIL", "SMS", "MAIL"],
        "messageTemplates": templates,
        "variants": [{"name": name, "weight": weight} for name, weight in VARIANTS],
        "holdoutPercent": HOLDOUT_PERCENT,
        "schedule": {
            "startDate": start.isoformat(),
            "sendTimes": [f"{SEND_HOUR:02d}:00"],
            "timezone": ZONE,
        },
        "incentive": {
            "hasIncentive": True,
            "incentiveDetails": "20% off",
            "incentiveCode": INCENTIVE_CODE,
            "incentiveCostCents": INCENTIVE_COST_CENTS,
        },
    }


async def seed_clinic(run: Run, publisher: Publisher, now: datetime) -> None:
    await publisher.publish(clinic_events(run.clinic, now, ZONE))
    excluded = Counter(p.excluded for p in run.clinic.patients if p.excluded)
    targeting = campaign_input(now)["targeting"]

    async def all_known() -> bool:
        answer = await run.api("audience_svc", "POST", "/estimate", json={"targeting": targeting})
        seen = answer.json()
        reasons = seen.get("excluded") or {}
        return seen.get("patients") == run.clinic.size and all(
            reasons.get(reason) == count for reason, count in excluded.items()
        )

    await until(all_known, "every patient known to audience-svc", run)


async def launch(run: Run, start: datetime) -> None:
    profile = await run.api("campaign_svc", "PUT", "/clinic", json=COMPLETE_CLINIC_PROFILE)
    assert profile.status_code == 200, profile.text
    created = await run.api("campaign_svc", "POST", "/campaigns", json=campaign_input(start))
    assert created.status_code == 201, created.text
    run.campaign_id = created.json()["id"]
    run.the_plan = plan(run.clinic, run.campaign_id)
    launched = await run.api("campaign_svc", "POST", f"/campaigns/{run.campaign_id}/launch")
    assert launched.status_code == 200, launched.text

    async def evaluated() -> bool:
        return any(e.campaign_id == run.campaign_id for e in run.watch.evaluated)

    await until(evaluated, "audience.evaluated", run)


async def step_sent(run: Run, sequence: int, patients: list[str]) -> datetime:
    """Wait until every message of the step was sent; the last send's moment (simulated)."""
    wanted = {message_id(run.campaign_id, p, 1, sequence) for p in patients}

    async def sent() -> bool:
        latest = run.watch.latest_sent(run.campaign_id)
        return all(mid in latest and str(latest[mid].outcome) == "SENT" for mid in wanted)

    def missing() -> object:
        latest = run.watch.latest_sent(run.campaign_id)
        sent_now = {mid for mid, s in latest.items() if s.sequence == sequence}
        outcomes = Counter(f"{latest[mid].outcome}:{latest[mid].reason}" for mid in sent_now)
        return f"sent {len(sent_now & wanted)}, unexpected {len(sent_now - wanted)}, {outcomes}"

    await until(sent, f"step {sequence} sent to {len(wanted)}", run, missing)
    latest = run.watch.latest_sent(run.campaign_id)
    print(
        f"  {time.monotonic() - run.started:6.1f} s ({datetime.now(UTC):%H:%M:%S.%f}): step {sequence} sent ({run.phase})"
    )
    return max(latest[mid].at for mid in wanted)


async def answers_taken_in(run: Run, expected: set[tuple[str, str]]) -> None:
    """tracking-svc published each answer, and dispatch-svc's consumers stored them all."""
    settings = run.world.settings
    group = f"{settings.kafka_topic_prefix}dispatch-svc"

    async def taken() -> bool:
        if not expected <= run.watch.responses(run.campaign_id):
            return False
        return await group_caught_up(settings, group, "recipient.responded")

    def missing() -> object:
        return sorted(expected - run.watch.responses(run.campaign_id))

    await until(taken, f"{len(expected)} answers taken in by dispatch-svc", run, missing)
    print(
        f"  {time.monotonic() - run.started:6.1f} s ({datetime.now(UTC):%H:%M:%S.%f}): {run.phase}"
    )


async def tracking_caught_up(run: Run) -> None:
    """tracking-svc's consumers stored every message.sent and recipient.held_out so far."""
    settings = run.world.settings
    group = f"{settings.kafka_topic_prefix}tracking-svc"

    async def stored() -> bool:
        return await group_caught_up(settings, group, "message.sent") and await group_caught_up(
            settings, group, "recipient.held_out"
        )

    lags: dict[str, object] = {}

    async def lagging() -> bool:
        for topic in ("message.sent", "recipient.held_out"):
            lags[topic] = await group_lag(settings, group, topic)
        return await stored()

    await until(lagging, "tracking-svc took in every message.sent", run, lambda: lags)


async def jump_to_next_slot(run: Run, last_sent: datetime) -> None:
    slot = next_send_slot(last_sent + timedelta(days=DELAY_DAYS), SEND_HOUR, ZoneInfo(ZONE))
    run.world.fleet.clock.set(slot + timedelta(seconds=1))
