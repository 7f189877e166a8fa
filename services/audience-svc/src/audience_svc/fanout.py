"""A fan-out: evaluate once, store the plan, publish it chunk by chunk, resume after a crash.

1. Evaluate the clinic's patients in memory and serialize every recipient's event (step 1's
   `message.due`, or `recipient.held_out`) into chunks; store the chunks, then the plan header
   (a plan that exists is complete; leftovers of a build that crashed are removed first —
   nothing of them was published).
2. Record who was targeted (one fact per chunk, for the 30-day and daily-enrolment rules).
3. Publish each chunk not yet marked done as one Kafka batch, wait for the acks, mark it done
   (one insert per chunk). A crash repeats at most the chunk in flight, with identical events.
4. Publish `audience.evaluated` and mark the plan finished.
"""

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from aiokafka import AIOKafkaProducer
from pymongo.asynchronous.database import AsyncDatabase

from audience_svc.blobs import pack, unpack
from audience_svc.domain.messages import evaluated_event, recipient_event
from audience_svc.domain.targeting import Audience, evaluate
from audience_svc.projection import Projection
from reengage_common.bus import EventPublisher
from reengage_common.events import CampaignLaunched
from reengage_common.logging import TRACE_HEADER
from reengage_common.settings import Settings
from reengage_common.storage import insert_new

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
    database: AsyncDatabase
    projection: Projection
    producer: AIOKafkaProducer
    publisher: EventPublisher
    settings: Settings
    chunk_size: int = 2000

    @property
    def plans(self) -> Any:
        return self.database["plans"]

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
        plan = await self.plans.find_one({"_id": plan_id})
        if plan is None:
            plan = await self._build(plan_id, clinic_id, launched, kind, now, trace_id)
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
    ) -> dict[str, Any]:
        chunks = self.database["plan_chunks"]
        await chunks.delete_many({"plan_id": plan_id})
        started = time.perf_counter()
        evaluation = evaluate(
            audience_of(launched, daily=kind == DAILY),
            await self.projection.rows(clinic_id),
            now.timestamp(),
        )
        evaluated_at = time.perf_counter()
        states = await self.projection.patient_states(clinic_id)
        read_at = time.perf_counter()
        documents = []
        selected = evaluation.selected
        for index, start in enumerate(range(0, len(selected), self.chunk_size)):
            members = selected[start : start + self.chunk_size]
            events = [
                recipient_event(
                    launched, clinic_id, s, states[s.patient_id], due_at=now, trace_id=trace_id
                )
                for s in members
            ]
            documents.append(
                {
                    "_id": f"{plan_id}:{index:05d}",
                    "plan_id": plan_id,
                    "pids": [s.patient_id for s in members],
                    "blob": pack([[e.type, e.key, e.to_json().decode()] for e in events]),
                }
            )
        built_at = time.perf_counter()
        await insert_new(chunks, documents, batch=20)
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
        await insert_new(self.plans, [plan])
        log.info(
            "audience.evaluated",
            plan_id=plan_id,
            targeted=evaluation.targeted,
            held_out=evaluation.held_out,
            excluded=dict(evaluation.excluded),
            evaluate_seconds=round(evaluated_at - started, 2),
            read_states_seconds=round(read_at - evaluated_at, 2),
            build_seconds=round(built_at - read_at, 2),
            store_seconds=round(time.perf_counter() - built_at, 2),
        )
        return plan

    async def publish(self, plan: dict[str, Any], launched: CampaignLaunched) -> None:
        plan_id, clinic_id = plan["_id"], plan["clinic_id"]
        started = time.perf_counter()
        progress = self.database["plan_progress"]
        done = {doc["_id"] async for doc in progress.find({"plan_id": plan_id}, {"_id": 1})}
        at = plan["at"]
        # Up to IN_FLIGHT chunks are sent before the oldest one's acks are awaited, so the
        # broker's round trips overlap; a chunk is marked done only once all of it is acked.
        in_flight: list[tuple[str, asyncio.Future[Any]]] = []
        async for chunk in self.database["plan_chunks"].find({"plan_id": plan_id}, batch_size=4):
            await self._record_targeted(plan, chunk)
            if chunk["_id"] in done:
                continue
            acks = asyncio.ensure_future(asyncio.gather(*await self._send(unpack(chunk["blob"]))))
            in_flight.append((chunk["_id"], acks))
            if len(in_flight) >= IN_FLIGHT:
                await self._mark_done(plan_id, *in_flight.pop(0))
        for chunk_id, acks in in_flight:
            await self._mark_done(plan_id, chunk_id, acks)
        evaluated = evaluated_event(
            launched,
            clinic_id,
            plan_id=plan_id,
            targeted=plan["targeted"],
            held_out=plan["held_out"],
            excluded=plan["excluded"],
            at=at,
            trace_id=plan.get("trace_id"),
            enrolment=plan["kind"],
        )
        await self.publisher.publish(evaluated)
        await self.plans.update_one({"_id": plan_id}, {"$set": {"finished": True}})
        log.info(
            "audience.fanned_out",
            plan_id=plan_id,
            chunks=plan["chunks"],
            publish_seconds=round(time.perf_counter() - started, 2),
        )

    async def _mark_done(self, plan_id: str, chunk_id: str, acks: "asyncio.Future[Any]") -> None:
        await acks
        await insert_new(self.database["plan_progress"], [{"_id": chunk_id, "plan_id": plan_id}])

    async def _record_targeted(self, plan: dict[str, Any], chunk: dict[str, Any]) -> None:
        fact = {
            "k": "g",
            "c": plan["campaign_id"],
            "t": plan["at"].timestamp(),
            "pids": chunk["pids"],
        }
        if chunk["pids"]:
            await self.projection.append(f"targeted:{chunk['_id']}", plan["clinic_id"], [fact])

    async def _send(self, events: list[list[str]]) -> list["asyncio.Future[Any]"]:
        """One Kafka batch: every send queued at once; the futures of their acks."""
        pending = []
        for event_type, key, value in events:
            headers = [("type", event_type.encode())]
            trace = _trace_of(value)
            if trace:
                headers.insert(0, (TRACE_HEADER, trace.encode()))
            pending.append(
                await self.producer.send(
                    self.settings.topic(event_type),
                    value=value.encode(),
                    key=key.encode(),
                    headers=headers,
                )
            )
        return pending


def _trace_of(value: str) -> str | None:
    marker = '"traceId":"'
    start = value.find(marker)
    if start < 0:
        return None
    start += len(marker)
    return value[start : value.index('"', start)]
