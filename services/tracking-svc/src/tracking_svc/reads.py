"""The staff reads: a campaign's figures and a page of its recipients, scoped to the clinic.

Both answer from the campaign's latest snapshot plus the pages not folded into it yet
(`snapshots.Snapshots.view`). Stats: the snapshot's tally (a few hundred sums) with the
unfolded patients' shares replaced, then `stats.figures`. Before snapshots, a stats query read
and folded every fact: seconds at 100,000 recipients (the figures: docs/perf.md).
A recipients page walks the snapshot's shards in (shard, patient id)
order from the cursor's patient, skipping shards whose status counts say no patient matches,
and folds only the recipients it returns.
"""

import asyncio
import base64
import bisect
from dataclasses import dataclass
from typing import Any

from reengage_common.error_codes import TrackingErrorCode
from tracking_svc.domain.facts import BUCKETS
from tracking_svc.domain.recipients import STATUS_ORDER
from tracking_svc.domain.snapshot import SHARDS, facts_of, recipient_of, shard_of, status_of
from tracking_svc.domain.stats import figures
from tracking_svc.snapshots import Snapshots
from tracking_svc.store.records import terms_of


class BadInput(ValueError):
    def __init__(self, field: str, message: str, code: TrackingErrorCode) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.code = code


async def stats_of(clinic_id: str, campaign_id: str, snapshots: Snapshots) -> dict[str, Any]:
    view, launch = await asyncio.gather(
        snapshots.view(clinic_id, campaign_id), snapshots.store.launched(clinic_id, campaign_id)
    )
    return figures(campaign_id, view.state.tally, view.state.evaluations(), terms_of(launch))


async def stats_of_campaigns(
    clinic_id: str, campaign_ids: list[str], snapshots: Snapshots
) -> list[dict[str, Any]]:
    """Many campaigns' figures (a campaigns page's counters) with a fixed number of queries:
    their unfolded pages, their heads and their launch terms, each read once for all of them.
    A campaign whose pages are all folded costs no more than its head; asked one by one, 50
    campaigns cost 150 queries (docs/perf.md)."""
    if not campaign_ids:
        return []
    views, launches = await asyncio.gather(
        snapshots.views_of(clinic_id, campaign_ids),
        snapshots.store.launches_of(clinic_id, campaign_ids),
    )
    return [
        figures(
            campaign_id,
            views[campaign_id].state.tally,
            views[campaign_id].state.evaluations(),
            terms_of(launches.get(campaign_id)),
        )
        for campaign_id in campaign_ids
    ]


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
        raise BadInput(
            "after", "not a cursor this API gave out", TrackingErrorCode.BAD_CURSOR
        ) from exc


def check_status(status: str | None) -> str | None:
    if status in (None, ""):
        return None
    if status not in STATUS_ORDER:
        raise BadInput(
            "status", f"must be one of {', '.join(STATUS_ORDER)}", TrackingErrorCode.NOT_ONE_OF
        )
    return status


async def recipients_page(
    clinic_id: str,
    campaign_id: str,
    snapshots: Snapshots,
    *,
    status: str | None,
    first: int,
    after: str | None,
) -> RecipientPage:
    """Recipients in (shard, patient id) order, after the cursor's patient."""
    after_patient = decode_cursor(after) if after else None
    start = shard_of(after_patient) if after_patient is not None else 0
    views = await snapshots.bucket_views(clinic_id, campaign_id)
    chosen: list[tuple[str, str]] = []
    for number in range(start, SHARDS):
        view = await views.view(number % BUCKETS)
        shard = view.changed.get(number)
        if shard is None:
            if number not in view.head.shards:
                continue
            counts = view.head.shards[number][1]
            if status is not None and not counts.get(status):
                continue
            shard = (await snapshots.shards(clinic_id, campaign_id, view.head, [number]))[number]
        order = shard.order()
        begin = 0
        if number == start and after_patient is not None:
            begin = bisect.bisect_right(order, after_patient)
        for patient_id in order[begin:]:
            entry = shard.entries[patient_id]
            found = status_of(entry)
            if found and (status is None or found == status):
                chosen.append((patient_id, entry))
                if len(chosen) > first:
                    break
        if len(chosen) > first:
            break
    items = [
        recipient.to_json()
        for _, entry in chosen[:first]
        if (recipient := recipient_of(facts_of(entry))) is not None
    ]
    end = encode_cursor(items[-1]["patientId"]) if items else None
    for item in items:
        item["cursor"] = encode_cursor(item["patientId"])
    return RecipientPage(items, len(chosen) > first, end)
