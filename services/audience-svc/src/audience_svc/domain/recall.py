"""Recall due dates: when each patient is due back, and how overdue a targeting wants them.

A patient's recall falls due one recall interval, in calendar months, after their last
completed visit (or `createdAt` for a patient who never completed one: the same anchor as
inactivity). The interval is, first that applies:
1. the patient's own, `recallIntervalMonths` on `patient.upserted` (1-120), where the practice
   system keeps one. An interval rather than a due date, so a visit moves the due date on without the
   practice system having to send the patient again;
2. their treatment stage's, `STAGE_INTERVAL_MONTHS` (documented constants, the same for every
   clinic: audience-svc does not read the clinic profile, which campaign-svc owns):
   ACTIVE_TREATMENT 2 (adjustments every few weeks: two months without one is a lapse),
   CONSULTATION and TREATMENT_PLANNED 3 (a plan not started), RETENTION 12 (retainer checks);
3. the hygiene recall, every `DEFAULT_INTERVAL_MONTHS` (6), for every other stage or none.

The due date is computed when a patient's targeting row is made (`facts.targeting_row`), so
an estimate compares one number per patient. A month after the 31st is the month's last day
(31 August + 6 months: 28 February), in UTC.

How overdue, measured from `now` in calendar months (`RecallWindow`), with the estimate's
buckets, which cover every due date once:
- due this month: due by the end of this calendar month (UTC), and less than a month ago;
- overdue 1-3 months: due at least 1 and less than 3 months ago; 3-12; 12 or more;
- not due: due after this month.
A recall targeting selects due dates up to the end of this month (`overdueByMonths` 0) or at
least `overdueByMonths` months ago; less than `maxOverdueMonths` ago; on or after `dueSince`.
"""

import calendar
import math
from bisect import bisect_left
from dataclasses import dataclass
from datetime import UTC, datetime

from reengage_common.events import RECALL_INTERVAL_MONTHS, RecallTargeting

DEFAULT_INTERVAL_MONTHS = 6
MIN_OWN_MONTHS = RECALL_INTERVAL_MONTHS["minimum"]
MAX_OWN_MONTHS = RECALL_INTERVAL_MONTHS["maximum"]
STAGE_INTERVAL_MONTHS: dict[str, int] = {
    "ACTIVE_TREATMENT": 2,
    "CONSULTATION": 3,
    "TREATMENT_PLANNED": 3,
    "RETENTION": 12,
}

# The estimate's buckets, the most overdue first (the order of `RecallWindow.edges`).
OVERDUE_12_PLUS_MONTHS = "overdue12PlusMonths"
OVERDUE_3_TO_12_MONTHS = "overdue3To12Months"
OVERDUE_1_TO_3_MONTHS = "overdue1To3Months"
DUE_THIS_MONTH = "dueThisMonth"
NOT_DUE = "notDue"
BUCKETS = (
    OVERDUE_12_PLUS_MONTHS,
    OVERDUE_3_TO_12_MONTHS,
    OVERDUE_1_TO_3_MONTHS,
    DUE_THIS_MONTH,
    NOT_DUE,
)


def interval_months(own: int | None, stage: str | None) -> int:
    """The patient's recall interval: their own, their stage's, or the hygiene default. An own
    interval outside the contract's 1-120 months is none (the event is not refused for it)."""
    if own is not None and MIN_OWN_MONTHS <= own <= MAX_OWN_MONTHS:
        return own
    return STAGE_INTERVAL_MONTHS.get(stage or "", DEFAULT_INTERVAL_MONTHS)


def add_months(at: float, months: int) -> float:
    """`at` (epoch seconds) moved by whole calendar months in UTC, the day clamped to the
    month's last; +/- infinity past the calendar (a due date no window reaches)."""
    moment = datetime.fromtimestamp(at, UTC)
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    if not 1 <= year <= 9999:
        return math.inf if months > 0 else -math.inf
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day).timestamp()


def recall_due(anchor: float, own: int | None, stage: str | None) -> float:
    """When the patient's recall falls due (epoch seconds), from their last visit's `anchor`."""
    return add_months(anchor, interval_months(own, stage))


def end_of_month(now: float) -> float:
    """The first instant of the next calendar month (UTC), after `now`."""
    moment = datetime.fromtimestamp(now, UTC)
    year, month = divmod(moment.year * 12 + moment.month, 12)
    return datetime(year, month + 1, 1, tzinfo=UTC).timestamp()


@dataclass(frozen=True)
class RecallWindow:
    """The due dates a recall targeting selects, and the buckets' edges, as of `now`: made once
    per evaluation, so each patient costs a few comparisons."""

    # A due date's bucket is BUCKETS[bisect_left(edges, due)]: at most 12 months ago (an edge
    # itself is in the older bucket), 3, 1, and before the end of this month.
    edges: tuple[float, float, float, float]
    # The targeting's own bounds: due before `due_before` and on or after `due_from`.
    due_before: float
    due_from: float

    @classmethod
    def of(cls, now: float, rules: RecallTargeting | None) -> "RecallWindow":
        month_end = end_of_month(now)
        due_before, due_from = month_end, -math.inf
        if rules is not None:
            if rules.overdue_by_months > 0:
                # "Overdue by N months": due at least N months ago, so up to and including it.
                due_before = math.nextafter(add_months(now, -rules.overdue_by_months), math.inf)
            if rules.max_overdue_months is not None:
                due_from = math.nextafter(add_months(now, -rules.max_overdue_months), math.inf)
            if rules.due_since is not None:
                since = rules.due_since
                start = datetime(since.year, since.month, since.day, tzinfo=UTC).timestamp()
                due_from = max(due_from, start)
        edges = (
            add_months(now, -12),
            add_months(now, -3),
            add_months(now, -1),
            math.nextafter(month_end, -math.inf),  # due at the month's end: next month's
        )
        return cls(edges=edges, due_before=due_before, due_from=due_from)

    def bucket(self, due: float) -> str:
        """The estimate's bucket of a due date."""
        return BUCKETS[bisect_left(self.edges, due)]


def bucket_counts(counts: list[int]) -> dict[str, int]:
    """Counts kept by bucket index (`bisect_left` over the edges) as {bucket: patients}."""
    return dict(zip(BUCKETS, counts, strict=True))


def recall_problems(rules: RecallTargeting) -> list[tuple[str, str]]:
    """What is wrong with a recall targeting's window beyond each bound: (field under
    `targeting.recall.`, message); empty when it can select someone."""
    top = rules.max_overdue_months
    if top is not None and top <= rules.overdue_by_months:
        return [
            (
                "maxOverdueMonths",
                f"must be more than overdueByMonths ({rules.overdue_by_months}), "
                "or the window is empty",
            )
        ]
    return []
