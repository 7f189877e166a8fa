"""The staff reads: a campaign's figures and a page of its recipients, scoped to the clinic.

Stats read every fact of one campaign (a selective equality) and fold them in memory. Measured
with tests/bench/bench_tracking.py on FerretDB 1.24 (PostgreSQL), 2 cores: at 100,000
recipients (210,000 facts) a stats query takes ~3.8 s (~1.7 s reading, ~2 s folding). A
recipients page reads one of the campaign's 8 patient buckets, in (bucket, patient id) order,
so paging never skips or counts: ~0.35 s per page at 100,000.
"""

import asyncio
import base64
import gc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from tracking_svc.domain.facts import BUCKETS, bucket_of, unique_facts
from tracking_svc.domain.recipients import STATUS_ORDER, fold
from tracking_svc.domain.stats import campaign_stats
from tracking_svc.store import campaign_facts, launched, terms_of


class BadInput(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


T = TypeVar("T")


def without_gc(work: Callable[[], T]) -> T:
    """Folding 200,000 facts allocates millions of small objects that all stay alive until the
    answer is made: the cyclic collector would rescan them over and over (half the time)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return work()
    finally:
        if was_enabled:
            gc.enable()


async def stats_of(clinic_id: str, campaign_id: str) -> dict[str, Any]:
    raw, launch = await asyncio.gather(
        campaign_facts(clinic_id, campaign_id), launched(clinic_id, campaign_id)
    )
    terms = terms_of(launch)
    return await asyncio.to_thread(
        without_gc, lambda: campaign_stats(campaign_id, fold(unique_facts(raw)), terms)
    )


@dataclass(frozen=True)
class RecipientPage:
    items: list[dict[str, Any]]
    has_next: bool
    end_cursor: str | None


def encode_cursor(patient_id: str) -> str:
    return base64.urlsafe_b64encode(patient_id.encode()).decode()


def decode_cursor(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor.encode()).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadInput("after", "not a cursor this API gave out") from exc


def check_status(status: str | None) -> str | None:
    if status in (None, ""):
        return None
    if status not in STATUS_ORDER:
        raise BadInput("status", f"must be one of {', '.join(STATUS_ORDER)}")
    return status


async def recipients_page(
    clinic_id: str, campaign_id: str, *, status: str | None, first: int, after: str | None
) -> RecipientPage:
    """Recipients in (bucket, patient id) order, after the cursor's patient."""
    after_patient = decode_cursor(after) if after else None
    start = bucket_of(after_patient) if after_patient is not None else 0
    found: list[dict[str, Any]] = []
    for bucket in range(start, BUCKETS):
        raw = await campaign_facts(clinic_id, campaign_id, bucket)
        folded = await asyncio.to_thread(without_gc, lambda raw=raw: fold(unique_facts(raw)))
        recipients = folded.recipients
        for patient_id in sorted(recipients):
            if bucket == start and after_patient is not None and patient_id <= after_patient:
                continue
            recipient = recipients[patient_id]
            if status is None or recipient.status == status:
                found.append(recipient.to_json())
                if len(found) > first:
                    break
        if len(found) > first:
            break
    items = found[:first]
    end = encode_cursor(items[-1]["patientId"]) if items else None
    for item in items:
        item["cursor"] = encode_cursor(item["patientId"])
    return RecipientPage(items, len(found) > first, end)
