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
        evaluation = evaluate(
            audience_of(launched, daily=kind == DAILY),
            await self.projection.rows(clinic_id),
            now.timestamp(),
        )
        states = await self.projection.patient_states(clinic_id)
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
        )
        return plan

    async def publish(self, plan: dict[str, Any], launched: CampaignLaunched) -> None:
        plan_id, clinic_id = plan["_id"], plan["clinic_id"]
        progress = self.database["plan_progress"]
        done = {doc["_id"] async for doc in progress.find({"plan_id": plan_id}, {"_id": 1})}
        at = plan["at"]
        async for chunk in self.database["plan_chunks"].find({"plan_id": plan_id}, batch_size=4):
            await self._record_targeted(plan, chunk)
            if chunk["_id"] in done:
                continue
            await self._send(unpack(chunk["blob"]))
            await insert_new(progress, [{"_id": chunk["_id"], "plan_id": plan_id}])
        evaluated = evaluated_event(
            launched,
            clinic_id,
            plan_id=plan_id,
            targeted=plan["targeted"],
            held_out=plan["held_out"],
            excluded=plan["excluded"],
            at=at,
            trace_id=plan.get("trace_id"),
        )
        await self.publisher.publish(evaluated)
        await self.plans.update_one({"_id": plan_id}, {"$set": {"finished": True}})
        log.info("audience.fanned_out", plan_id=plan_id, chunks=plan["chunks"])

    async def _record_targeted(self, plan: dict[str, Any], chunk: dict[str, Any]) -> None:
        fact = {
            "k": "g",
            "c": plan["campaign_id"],
            "t": plan["at"].timestamp(),
            "pids": chunk["pids"],
        }
        if chunk["pids"]:
            await self.projection.append(f"targeted:{chunk['_id']}", plan["clinic_id"], [fact])

    async def _send(self, events: list[list[str]]) -> None:
        """One Kafka batch: every send queued at once, then every ack awaited."""
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
        await asyncio.gather(*pending)


def _trace_of(value: str) -> str | None:
    marker = '"traceId":"'
    start = value.find(marker)
    if start < 0:
        return None
    start += len(marker)
    return value[start : value.index('"', start)]
