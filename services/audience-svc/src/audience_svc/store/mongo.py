"""`AudienceStore` on MongoDB / FerretDB: the same collections, records and queries the
handlers, fan-outs and enrolment used directly before they were given a store."""

from datetime import UTC, datetime, timedelta

from pymongo.asynchronous.database import AsyncDatabase

from audience_svc.store.documents import (
    FANOUT_TURNS,
    FANOUTS_IN_FLIGHT,
    CampaignRun,
    CampaignStatusRecord,
    Plan,
    PlanChunk,
    PlanProgress,
)
from audience_svc.store.protocol import TurnLeases
from audience_svc.store.records import Record, run_record, status_record
from reengage_common.events import CampaignLaunched, CampaignStatusChanged
from reengage_common.leases import Leases, process_owner_id
from reengage_common.storage import Collection, insert_new

# Plan chunks per insert command (each a blob of up to FANOUT_CHUNK_SIZE recipients' selection),
# as the fan-out has always inserted them.
CHUNKS_PER_INSERT = 20


class MongoAudienceStore:
    def __init__(self, database: AsyncDatabase) -> None:
        self.runs: Collection = database[CampaignRun.Settings.name]
        self.statuses: Collection = database[CampaignStatusRecord.Settings.name]
        self.plans: Collection = database[Plan.Settings.name]
        self.chunks: Collection = database[PlanChunk.Settings.name]
        self.progress: Collection = database[PlanProgress.Settings.name]
        self.turns: Collection = database[FANOUT_TURNS]
        self.marks: Collection = database[FANOUTS_IN_FLIGHT]

    # --- campaign runs and statuses ---------------------------------------------------------

    async def store_run(self, clinic_id: str, launched: CampaignLaunched) -> None:
        await insert_new(self.runs, [run_record(clinic_id, launched)])

    async def run(self, run_id: str) -> Record | None:
        return await self.runs.find_one({"_id": run_id})

    async def daily_runs(self) -> list[Record]:
        return await self.runs.find({"refresh_daily": True}).to_list()

    async def runs_of_campaign(self, campaign_id: str) -> list[Record]:
        fields = {"launched": 1, "clinic_id": 1, "run_number": 1}
        return await self.runs.find({"campaign_id": campaign_id}, fields).to_list()

    async def store_status_changes(self, changes: list[CampaignStatusChanged]) -> None:
        await insert_new(self.statuses, [status_record(changed) for changed in changes])

    async def status_changes(self, campaign_id: str) -> list[Record]:
        return await self.statuses.find({"campaign_id": campaign_id}).to_list()

    # --- plans --------------------------------------------------------------------------------

    async def plan(self, plan_id: str) -> Record | None:
        return await self.plans.find_one({"_id": plan_id})

    async def unfinished_plans(self) -> list[Record]:
        return await self.plans.find({"finished": False}).to_list()

    async def store_plan(self, plan: Record) -> None:
        await insert_new(self.plans, [plan])

    async def finish_plan(self, plan_id: str) -> None:
        await self.plans.update_one({"_id": plan_id}, {"$set": {"finished": True}})

    async def drop_chunks(self, plan_id: str) -> None:
        await self.chunks.delete_many({"plan_id": plan_id})

    async def store_chunks(self, chunks: list[Record]) -> None:
        await insert_new(self.chunks, chunks, batch=CHUNKS_PER_INSERT)

    async def chunks_of(self, plan_id: str) -> list[Record]:
        return await self.chunks.find({"plan_id": plan_id}).to_list()

    async def published_chunks(self, plan_id: str) -> set[str]:
        return {doc["_id"] async for doc in self.progress.find({"plan_id": plan_id}, {"_id": 1})}

    async def mark_published(self, plan_id: str, chunk_id: str) -> None:
        await insert_new(self.progress, [{"_id": chunk_id, "plan_id": plan_id}])

    # --- clinic turns -------------------------------------------------------------------------

    def turn_leases(self, ttl: timedelta) -> TurnLeases:
        return Leases(
            self.turns,
            owner=process_owner_id("audience-svc"),
            ttl=ttl,
            clock=lambda: datetime.now(UTC),
        )

    async def marks_of_clinic(self, clinic_id: str) -> list[Record]:
        return await self.marks.find({"clinic_id": clinic_id}).to_list()

    async def mark_in_flight(self, mark: Record) -> None:
        await self.marks.insert_one(mark)

    async def unmark_in_flight(self, plan_id: str) -> None:
        await self.marks.delete_one({"_id": plan_id})
