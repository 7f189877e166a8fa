"""The campaign of a fault run, phase by phase, and what is checked at its end."""

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from fault_inject import PublicDoors, Publisher, booking_events
from fault_run import (
    SEND_HOUR,
    ZONE,
    FaultPlan,
    Run,
    World,
    answers_taken_in,
    jump_to_next_slot,
    launch,
    seed_clinic,
    step_sent,
    tracking_caught_up,
    until,
)
from fault_truth import Clinic, Plan, close_enough, expected_stats, observed
from fault_watch import Watch

from reengage_common.events import message_id
from reengage_testing import COMPLETE_CLINIC_PROFILE


@dataclass
class Outcome:
    run: Run
    expected: dict[str, Any]
    seen: dict[str, Any]
    converged: float  # seconds from the last fault's end to exact stats
    retried: set[str]
    repeated: set[str]  # message ids a provider got more than once
    deliveries: dict[str, Counter[str]]  # channel: message id -> times the provider got it


async def run_campaign(world: World, size: int, seed: int, faults: FaultPlan | None,
                       *, twice: bool = False) -> Outcome:  # fmt: skip
    world.runs += 1
    clinic = Clinic(f"clinic-faults-{world.runs}-{seed}", size, world.runs, seed)
    watch = Watch(world.settings)
    await watch.start()
    run = Run(world, clinic, seed, twice, watch)
    if twice:
        world.twice_flag.write_text(str(seed))
    doors = PublicDoors(world.fleet.replicas["tracking_svc"], world.secrets, twice)
    fault_task = asyncio.create_task(faults(run)) if faults else None
    try:
        async with Publisher(world.settings, random.Random(seed) if twice else None) as publisher:
            await _phases(run, publisher, doors)
        if fault_task is not None:
            await run.enter("faults finishing")
            await fault_task
        return await _converge(run)
    finally:
        if fault_task is not None and not fault_task.done():
            fault_task.cancel()
        world.twice_flag.unlink(missing_ok=True)
        await doors.close()
        await watch.stop()


async def _phases(run: Run, publisher: Publisher, doors: PublicDoors) -> None:
    clock = run.world.fleet.clock
    zone = ZoneInfo(ZONE)
    # The campaign starts on the next simulated day, two minutes before its send time.
    day = (clock.now() + timedelta(days=1)).astimezone(zone)
    start = day.replace(hour=SEND_HOUR - 1, minute=58, second=0, microsecond=0)
    clock.set(start)
    await seed_clinic(run, publisher, start)
    await run.enter("launch")
    await launch(run, start - timedelta(minutes=1))
    the_plan = run.the_plan
    assert the_plan is not None
    clock.set(start + timedelta(minutes=2, seconds=1))  # the send time: step 1 goes
    await run.enter("step 1 (email)")
    last = await step_sent(run, 1, the_plan.treated)
    await _after_email(run, the_plan, publisher, doors)
    await jump_to_next_slot(run, last)
    await run.enter("step 2 (SMS)")
    last = await step_sent(run, 2, the_plan.step_two)
    await _after_text(run, the_plan, doors)
    await jump_to_next_slot(run, last)
    await run.enter("step 3 (mail)")
    await step_sent(run, 3, the_plan.step_three)
    await publisher.publish(booking_events(run.clinic, the_plan.bookings_after_letter, clock.now()))
    await run.enter("last bookings")


async def _after_email(run: Run, the_plan: Plan, publisher: Publisher, doors: PublicDoors) -> None:
    """Bounces and deliveries reported, links clicked, some clickers and holdouts book."""
    latest = run.watch.latest_sent(run.campaign_id)
    events = []
    for patient in the_plan.treated:
        provider_id = latest[message_id(run.campaign_id, patient, 1, 1)].provider_message_id
        kind = {"type": "bounce", "bounceType": "hard"} if patient in the_plan.bounce else {
            "type": "delivered"}  # fmt: skip
        events.append({**kind, "messageId": provider_id})
    await doors.email_events(events)
    clicks = [
        doors.click(run.clinic.clinic_id, run.campaign_id, p, message_id(run.campaign_id, p, 1, 1))
        for p in sorted(the_plan.click)
    ]
    await _gather_some(clicks)
    # A booking is attributed to the campaign only once tracking-svc has stored the message it
    # follows: wait for its consumers, as a booking does not come seconds after an email.
    # (Found by this suite: a booking taken in before its message.sent is never attributed.)
    await tracking_caught_up(run)
    now = run.world.fleet.clock.now()
    await publisher.publish(
        booking_events(run.clinic, the_plan.bookings_after_click + the_plan.holdout_bookings, now)
    )
    expected = {(p, "BOUNCED") for p in the_plan.bounce} | {(p, "CLICKED") for p in the_plan.click}
    expected |= {(b.patient_id, "REBOOKED") for b in the_plan.bookings_after_click}
    await run.enter("email answers taken in")
    await answers_taken_in(run, expected)


async def _after_text(run: Run, the_plan: Plan, doors: PublicDoors) -> None:
    phone = {p.patient_id: p.phone for p in run.clinic.patients}
    clinic_number = COMPLETE_CLINIC_PROFILE["smsFrom"]
    replies = [(p, "STOP") for p in the_plan.stop] + [(p, "YES") for p in the_plan.yes]
    replies += [(p, "Is parking free on Saturdays?") for p in the_plan.free_text]
    await _gather_some(
        [doors.text_in(phone[p], clinic_number, body) for p, body in sorted(replies)]
    )
    expected = {(p, "UNSUBSCRIBED") for p in the_plan.stop} | {
        (p, "INTERESTED") for p in the_plan.yes
    }
    await run.enter("SMS answers taken in")
    await answers_taken_in(run, expected)


async def _gather_some(calls: list[Any], at_once: int = 16) -> None:
    for start in range(0, len(calls), at_once):
        await asyncio.gather(*calls[start : start + at_once])


async def _converge(run: Run) -> Outcome:
    assert run.the_plan is not None
    await run.enter("converging")
    latest = run.watch.latest_sent(run.campaign_id)
    costs: Counter[str] = Counter()
    for sent in latest.values():
        costs[sent.patient_id] += sent.cost_cents
    expected = expected_stats(run.clinic, run.the_plan, costs)
    seen: dict[str, Any] = {}

    async def exact() -> bool:
        nonlocal seen
        answer = await run.api("tracking_svc", "GET", f"/campaigns/{run.campaign_id}/stats")
        seen = observed(answer.json()) if answer.status_code == 200 else {}
        return close_enough(expected, seen)

    last_fault = max([f.ended for f in run.faults], default=time.monotonic())
    try:
        await until(exact, "stats equal to the truth", run)
    except AssertionError:
        _explain(expected, seen)
        _explain_sends(run)
        raise
    converged = time.monotonic() - last_fault
    retried = {mid for mid in latest if any(c.retried for c in run.watch.sent[mid])}
    deliveries = await provider_deliveries(run)
    repeated = {mid for counts in deliveries.values() for mid, n in counts.items() if n > 1}
    return Outcome(run, expected, seen, converged, retried, repeated, deliveries)


def _explain(expected: dict[str, Any], seen: dict[str, Any]) -> None:
    for key in expected:
        if not close_enough(expected[key], seen.get(key)):
            print(
                f"  {key}: expected {expected[key]!r}\n  {' ' * len(key)}  seen     {seen.get(key)!r}"
            )


def _explain_sends(run: Run) -> None:
    """Which patients got a step they should not have, and what the plan says of them."""
    the_plan = run.the_plan
    assert the_plan is not None
    for fault in run.faults:
        print(f"  fault: {fault.what} (ended at {fault.ended:.1f})")
    wanted = {1: set(the_plan.treated), 2: set(the_plan.step_two), 3: set(the_plan.step_three)}
    groups = {"bounce": the_plan.bounce, "click": the_plan.click, "stop": the_plan.stop,
              "yes": the_plan.yes, "free": the_plan.free_text}  # fmt: skip
    for sent in run.watch.latest_sent(run.campaign_id).values():
        if str(sent.outcome) == "SENT" and sent.patient_id not in wanted[sent.sequence]:
            group = [name for name, who in groups.items() if sent.patient_id in who]
            copies = run.watch.sent[sent.message_id]
            print(f"  unexpected: step {sent.sequence} to {sent.patient_id} {group} at {sent.at}"
                  f" ({len(copies)} message.sent)")  # fmt: skip
    for patient, kind in sorted(run.watch.responses(run.campaign_id)):
        if patient in the_plan.stop | the_plan.yes:
            stamps = [r.at for r in run.watch.responded if r.patient_id == patient]
            print(f"  response {patient} {kind} at {stamps}")


async def provider_deliveries(run: Run) -> dict[str, Counter[str]]:
    """What each provider received for the campaign, by message id."""
    mids = {message_id(run.campaign_id, p.patient_id, 1, s): (p, s)
            for p in run.clinic.patients for s in (1, 2, 3)}  # fmt: skip
    by_phone = {
        p.phone: message_id(run.campaign_id, p.patient_id, 1, 2) for p in run.clinic.patients
    }
    texts = Counter(by_phone[m["to"]] for m in run.world.providers.twilio.messages.values()
                    if m.get("to") in by_phone)  # fmt: skip
    letters = Counter(key for key in run.world.providers.lob.by_key if key in mids)
    emails: Counter[str] = Counter()
    async with httpx.AsyncClient(base_url=run.world.mailpit, timeout=30) as mailpit:
        start = 0
        while True:
            page = (await mailpit.get("/api/v1/search", params={
                "query": f'to:"@{run.clinic.domain}"', "limit": 1000, "start": start})).json()  # fmt: skip
            emails.update(m["MessageID"].split("@")[0] for m in page["messages"])
            start += len(page["messages"])
            if not page["messages"] or start >= page["messages_count"]:
                break
    return {"EMAIL": emails, "SMS": texts, "MAIL": letters}
