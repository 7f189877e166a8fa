"""What audience's handlers, fan-outs, daily enrolment and channel fallbacks need of storage
beyond the patient projection: one narrow interface (cosmicpython's repository), implemented on
MongoDB/FerretDB by `MongoAudienceStore` and in memory by the unit tests' fake
(services/audience-svc/tests/audience_fake_store.py).

Campaign runs, status changes and plan progress are inserted under unique keys; a plan's
owner sets its `finished` flag (its one writer); a clinic's turn is a lease. The projection
keeps its own, storage-heavy interface (`PatientProjection`, `projection.Projection`).
"""

from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any, Protocol

from audience_svc.domain.facts import State
from audience_svc.store.records import Record
from reengage_common.events import CampaignLaunched, CampaignStatusChanged
from reengage_common.leases import Lease


class TurnLeases(Protocol):
    """A clinic's fan-out turns (`clinic_turns`): `reengage_common.leases.Leases` over
    `fanout_turns`, or the fake's."""

    ttl: timedelta

    async def acquire(self, loop: str) -> Lease | None: ...

    async def renew(self, lease: Lease) -> bool: ...

    async def release(self, lease: Lease) -> None: ...


class AudienceStore(Protocol):
    # --- campaign runs and statuses: the campaign consumer's records ----------------------
    async def store_run(self, clinic_id: str, launched: CampaignLaunched) -> None: ...

    async def run(self, run_id: str) -> Record | None: ...

    # every run of a refreshDaily campaign (of every clinic: enrolment picks its own)
    async def daily_runs(self) -> list[Record]: ...

    # `launched`, `clinic_id` and `run_number` of each run of the campaign (of any clinic)
    async def runs_of_campaign(self, campaign_id: str) -> list[Record]: ...

    async def store_status_changes(self, changes: list[CampaignStatusChanged]) -> None: ...

    async def status_changes(self, campaign_id: str) -> list[Record]: ...

    # --- plans: a fan-out's header, chunks and published-markers (`fanout`) ---------------
    async def plan(self, plan_id: str) -> Record | None: ...

    async def unfinished_plans(self) -> list[Record]: ...

    async def store_plan(self, plan: Record) -> None: ...

    async def finish_plan(self, plan_id: str) -> None: ...

    async def drop_chunks(self, plan_id: str) -> None: ...

    async def store_chunks(self, chunks: list[Record]) -> None: ...

    async def chunks_of(self, plan_id: str) -> list[Record]: ...

    async def published_chunks(self, plan_id: str) -> set[str]: ...

    async def mark_published(self, plan_id: str, chunk_id: str) -> None: ...

    # --- clinic turns: one fan-out of a clinic chooses at a time (`clinic_turns`) ---------
    def turn_leases(self, ttl: timedelta) -> TurnLeases: ...

    async def marks_of_clinic(self, clinic_id: str) -> list[Record]: ...

    async def mark_in_flight(self, mark: Record) -> None: ...

    async def unmark_in_flight(self, plan_id: str) -> None: ...


class PatientProjection(Protocol):
    """What the handlers, fan-outs and fallbacks need of the patient projection: facts
    appended, targeting rows and states read (`projection.Projection`, tested against
    FerretDB; the unit tests' fake folds the same facts in memory)."""

    async def append(self, records: list[Record]) -> int: ...

    async def rows(self, clinic_id: str) -> Iterable[Sequence[Any]]: ...

    async def patient_states(self, clinic_id: str) -> dict[str, State]: ...

    async def patient_states_of(
        self, clinic_id: str, patient_ids: set[str]
    ) -> dict[str, State]: ...
