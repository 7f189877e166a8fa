"""Daily enrolment: while a campaign is ACTIVE with refreshDaily, once a day, enrol the patients
who newly cross its inactivity line, under the same rules (those it already targeted are
excluded as ALREADY_ENROLLED). Runs in every worker replica with an injected clock, each for
the clinics whose partition of `patient.upserted` its consumer owns (`reengage_common.shares`);
each day's fan-out is a plan of its own (`<campaign>:<run>:day:<YYYY-MM-DD>`), so a crash
resumes it, and a clinic's fan-outs take its turn (`clinic_turns`), so two replicas meeting on
a clinic while it moves run them one after the other."""

import asyncio
from datetime import datetime
from typing import Any

import structlog

from audience_svc.fanout import DAILY, Fanout
from audience_svc.store.protocol import AudienceStore
from audience_svc.store.records import run_id
from reengage_common.clock import Clock
from reengage_common.events import CampaignLaunched, CampaignStatus
from reengage_common.shares import PartitionShare

log = structlog.get_logger(__name__)


def current_status(launched_at: datetime, changes: list[dict[str, Any]]) -> str:
    """The latest status by the events' own time; a launch makes a campaign ACTIVE."""
    latest = (launched_at, CampaignStatus.ACTIVE.value)
    for change in changes:
        at = change["at"]
        if at >= latest[0]:
            latest = (at, change["to"])
    return latest[1]


async def enrol_once(
    store: AudienceStore, fanout: Fanout, now: datetime, owner: PartitionShare | None = None
) -> list[str]:
    """Resume unfinished daily plans, then run today's enrolment of every due campaign (of the
    clinics `owner` holds; of all when None)."""

    def ours(clinic_id: str) -> bool:
        return owner is None or owner.owns_key(clinic_id)

    done: list[str] = []
    for plan in await store.unfinished_plans():
        if plan["kind"] == DAILY and ours(plan["clinic_id"]):
            run = await store.run(run_id(plan["campaign_id"], plan["run_number"]))
            if run is not None:
                await fanout.publish(plan, CampaignLaunched.model_validate(run["launched"]))
    latest: dict[str, dict[str, Any]] = {}
    for run in await store.daily_runs():
        if not ours(run["clinic_id"]):
            continue
        held = latest.get(run["campaign_id"])
        if held is None or run["run_number"] > held["run_number"]:
            latest[run["campaign_id"]] = run
    for campaign_id, run in latest.items():
        launched_at = run["launched_at"]
        if now.date() <= launched_at.date():
            continue  # the launch itself enrolled today's patients
        changes = await store.status_changes(campaign_id)
        if current_status(launched_at, changes) != CampaignStatus.ACTIVE.value:
            continue
        plan_id = f"{campaign_id}:{run['run_number']}:day:{now.date().isoformat()}"
        launched = CampaignLaunched.model_validate(run["launched"])
        await fanout.run(plan_id, run["clinic_id"], launched, kind=DAILY, now=now)
        done.append(plan_id)
    return done


async def run_daily_enrolment(
    store: AudienceStore, fanout: Fanout, clock: Clock, interval: float, owner: PartitionShare
) -> None:
    while True:
        if owner.settled:  # not during a rebalance: its clinics may move
            try:
                enrolled = await enrol_once(store, fanout, clock(), owner)
                if enrolled:
                    log.info("enrolment.daily", plans=enrolled)
            except Exception:  # the loop outlives an outage; the next round retries
                log.exception("enrolment.failed")
        await asyncio.sleep(interval)
