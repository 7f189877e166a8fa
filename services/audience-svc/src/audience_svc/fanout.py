"""A fan-out: evaluate once, store who is selected, publish chunk by chunk, resume after a crash.

1. Evaluate the clinic's patients in memory and store the selection in chunks (patient,
   variant, step, holdout, minor and, for a household, its lead or its other members: small;
   `domain/households.py`), then the plan header (a plan that exists is
   complete; leftovers of a build that crashed are removed first — nothing was published).
2. For each chunk not yet marked done: serialize its events from the patients' current
   projection (`PlanEvents`, no pydantic per recipient), queue every send without awaiting
   it, and go on to the next chunk while Kafka acknowledges this one; a chunk is marked done
   (one insert) once all of it is acknowledged, at most IN_FLIGHT chunks unacknowledged. A
   crash repeats at most the chunks in flight, with the same ids (messageId and envelope id
   are functions of campaign, run, patient and step).
3. Record who was targeted (one fact per chunk, inserted together, for the 30-day and
   daily-enrolment rules), publish `audience.evaluated` and mark the plan finished.

Step 1 runs in the clinic's turn, and sees the patients of the clinic's plans whose step 3 is
still to come: one fan-out of a clinic chooses at a time (`clinic_turns`).
"""

import asyncio
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog
from aiokafka import AIOKafkaProducer

from audience_svc.blobs import pack, unpack
from audience_svc.clinic_turns import ClinicTurns, TurnLost
from audience_svc.domain.facts import new_state
from audience_svc.domain.households import Role, groups_any, households
from audience_svc.domain.messages import PlanEvents, evaluated_event
from audience_svc.domain.targeting import Audience, Selected, evaluate, with_targeted
from audience_svc.store.protocol import AudienceStore, PatientProjection
from reengage_common.bus import EventPublisher, send_in_batches
from reengage_common.cpu import without_gc
from reengage_common.events import CampaignLaunched, MessageDue, RecipientHeldOut
from reengage_common.leases import Lease
from reengage_common.logging import TRACE_HEADER
from reengage_common.settings import Settings

log = structlog.get_logger(__name__)
LAUNCH, DAILY = "LAUNCH", "DAILY"
IN_FLIGHT = 3


def audience_of(launched: CampaignLaunched, *, daily: bool = False) -> Audience:
    return Audience(
        campaign_id=launched.campaign_id,
        targeting=launched.targeting,
        channels=tuple(c.value for c in launched.channels),
        steps=tuple(launched.message_templates),
        variants=tuple(launched.variants) or Audience.__dataclass_fields__["variants"].default,
        holdout_percent=launched.holdout_percent,
        enrolling_daily=daily,
    )


@dataclass
class Fanout:
    store: AudienceStore
    projection: PatientProjection
    producer: AIOKafkaProducer
    publisher: EventPublisher
    settings: Settings
    chunk_size: int = 2000
    turns: ClinicTurns = field(init=False)

    def __post_init__(self) -> None:
        self.turns = ClinicTurns(self.store, self.settings.lease_ttl_seconds)

    async def run(
        self,
        plan_id: str,
        clinic_id: str,
        launched: CampaignLaunched,
        *,
        kind: str,
        now: datetime,
        trace_id: str | None = None,
    ) -> dict[str, Any]:
        """Build the plan unless it exists, then publish whatever of it is not published."""
        plan = await self.store.plan(plan_id)
        if plan is None:
            async with self.turns.turn(clinic_id) as turn:
                plan = await self.store.plan(plan_id)  # built while we waited
                if plan is None:
                    plan = await self._build(
                        plan_id, clinic_id, launched, kind, now, trace_id, turn
                    )
        if not plan.get("finished"):
            await self.publish(plan, launched)
        return plan

    async def _build(
        self,
        plan_id: str,
        clinic_id: str,
        launched: CampaignLaunched,
        kind: str,
        now: datetime,
        trace_id: str | None,
        turn: Lease,
    ) -> dict[str, Any]:
        await self.store.drop_chunks(plan_id)
        started = time.perf_counter()
        # The marks first, the projection second: a plan unmarked meanwhile stored its facts.
        in_flight = await self.turns.others_in_flight(clinic_id, plan_id)
        rows = await self.projection.rows(clinic_id)
        read_at = time.perf_counter()
        with without_gc():
            evaluation = evaluate(
                audience_of(launched, daily=kind == DAILY),
                with_targeted(rows, in_flight),
                now.timestamp(),
            )
        evaluated_at = time.perf_counter()
        roles = await self._households(clinic_id, launched, evaluation.selected)
        with without_gc():
            documents = []
            selected = evaluation.selected
            for index, start in enumerate(range(0, len(selected), self.chunk_size)):
                members = selected[start : start + self.chunk_size]
                documents.append(
                    {
                        "_id": f"{plan_id}:{index:05d}",
                        "plan_id": plan_id,
                        "pids": [s.patient_id for s in members],
                        "blob": pack([_entry(s, roles.get(s.patient_id)) for s in members]),
                    }
                )
        await self.store.store_chunks(documents)
        await self.turns.mark(
            plan_id, clinic_id, launched.campaign_id, now, [s.patient_id for s in selected]
        )
        if not turn.held():
            raise TurnLost(f"plan {plan_id}: the clinic's turn expired while choosing")
        plan = {
            "_id": plan_id,
            "clinic_id": clinic_id,
            "campaign_id": launched.campaign_id,
            "run_number": launched.run_number,
            "kind": kind,
            "at": now,
            "chunks": len(documents),
            "targeted": evaluation.targeted,
            "held_out": evaluation.held_out,
            "excluded": dict(evaluation.excluded),
            "trace_id": trace_id,
            "finished": False,
        }
        await self.store.store_plan(plan)
        log.info(
            "audience.evaluated",
            plan_id=plan_id,
            targeted=evaluation.targeted,
            held_out=evaluation.held_out,
            excluded=dict(evaluation.excluded),
            read_seconds=round(read_at - started, 2),
            evaluate_seconds=round(evaluated_at - read_at, 2),
            store_seconds=round(time.perf_counter() - evaluated_at, 2),
        )
        return plan

    async def _households(
        self, clinic_id: str, launched: CampaignLaunched, selected: list[Selected]
    ) -> dict[str, Role]:
        """Who shares a contact (`domain/households.py`); the patients' contacts are in their
        states, which only a grouping plan with two patients to send to needs to read."""
        if not groups_any(selected, group=launched.group_households):
            return {}
        states = await self.projection.patient_states(clinic_id)
        with without_gc():
            return households(selected, states)

    async def publish(self, plan: dict[str, Any], launched: CampaignLaunched) -> None:
        plan_id, clinic_id = plan["_id"], plan["clinic_id"]
        started = time.perf_counter()
        done = await self.store.published_chunks(plan_id)
        chunks = await self.store.chunks_of(plan_id)
        chunks.sort(key=lambda chunk: chunk["_id"])
        todo = [chunk for chunk in chunks if chunk["_id"] not in done]
        states = await self.projection.patient_states(clinic_id) if todo else {}
        read_at = time.perf_counter()
        events = PlanEvents(launched, clinic_id, due_at=plan["at"], trace_id=plan.get("trace_id"))
        audience = audience_of(launched)
        steps = {
            (v.name, step.sequence): step
            for v in audience.variants
            for step in audience.steps_of(v.name)
        }
        headers = [("type", MessageDue.topic.encode())]
        held_headers = [("type", RecipientHeldOut.topic.encode())]
        if plan.get("trace_id"):
            headers.insert(0, (TRACE_HEADER, plan["trace_id"].encode()))
            held_headers.insert(0, (TRACE_HEADER, plan["trace_id"].encode()))
        due_topic = self.settings.topic(MessageDue.topic)
        held_topic = self.settings.topic(RecipientHeldOut.topic)
        # Up to IN_FLIGHT chunks are queued before the oldest one's acks are awaited: the next
        # chunk is serialized while the producer's sender ships the previous ones.
        in_flight: list[asyncio.Task[None]] = []
        for chunk in todo:
            with without_gc():
                built = []
                for pid, entry in zip(chunk["pids"], unpack(chunk["blob"]), strict=True):
                    variant, sequence, held, minor, *role = entry
                    if held:
                        built.append((held_topic, pid, events.held_out(pid, variant), held_headers))
                    elif not (role and isinstance(role[0], str)):  # else the lead's names them
                        step = steps[(variant, sequence)]
                        members = [pid, *role[0]] if role else []
                        value = events.due(
                            pid,
                            variant,
                            step,
                            bool(minor),
                            states.get(pid) or new_state(pid),
                            [(m, states.get(m) or new_state(m)) for m in members],
                        )
                        built.append((due_topic, pid, value, headers))
            pending = await send_in_batches(self.producer, built)
            in_flight.append(asyncio.ensure_future(self._mark_done(plan_id, chunk["_id"], pending)))
            if len(in_flight) >= IN_FLIGHT:
                await in_flight.pop(0)
        for task in in_flight:
            await task
        # Who was targeted, recorded after the sends: the compaction round these facts start
        # (it rewrites every shard they touch) would otherwise take the CPU from the sends.
        # Before the plan is finished, so a resumed plan records them too (idempotent ids).
        await self._record_targeted(plan, chunks)
        await self.turns.unmark(plan_id)
        evaluated = evaluated_event(
            launched,
            clinic_id,
            plan_id=plan_id,
            targeted=plan["targeted"],
            held_out=plan["held_out"],
            excluded=plan["excluded"],
            at=plan["at"],
            trace_id=plan.get("trace_id"),
            enrolment=plan["kind"],
        )
        await self.publisher.publish(evaluated)
        await self.store.finish_plan(plan_id)
        log.info(
            "audience.fanned_out",
            plan_id=plan_id,
            chunks=plan["chunks"],
            published=len(todo),
            read_states_seconds=round(read_at - started, 2),
            publish_seconds=round(time.perf_counter() - read_at, 2),
        )

    async def _mark_done(
        self, plan_id: str, chunk_id: str, acks: list["asyncio.Future[Any]"]
    ) -> None:
        await asyncio.gather(*acks)
        await self.store.mark_published(plan_id, chunk_id)

    async def _record_targeted(self, plan: dict[str, Any], chunks: list[dict[str, Any]]) -> None:
        """One fact per chunk (idempotent ids), inserted together once the chunks are sent."""
        records = [
            {
                "_id": f"targeted:{chunk['_id']}",
                "clinic_id": plan["clinic_id"],
                "n": 1,
                "at": time.time(),
                "contacts": True,  # they may wait to be folded (`Projection`)
                "blob": pack(
                    [
                        {
                            "k": "g",
                            "c": plan["campaign_id"],
                            "t": plan["at"].timestamp(),
                            "pids": chunk["pids"],
                        }
                    ]
                ),
            }
            for chunk in chunks
            if chunk["pids"]
        ]
        if records:
            await self.projection.append(records)


def _entry(selected: Selected, role: Role) -> list[Any]:
    """A patient's line of a stored plan; a household's role (lead or carried) as a fifth."""
    entry: list[Any] = [
        selected.variant,
        selected.step.sequence,
        int(selected.held_out),
        int(selected.minor),
    ]
    return entry if role is None else [*entry, role]
