"""Recall due dates in GraphQL: a targeting's recall window (input and output) and the
estimate's buckets, from audience-svc's JSON. The rules: audience-svc's `domain/recall.py`."""

from datetime import date
from typing import Any

import strawberry
from strawberry import UNSET


@strawberry.input(
    description="Patients whose hygiene recall is due: by the end of this month (the default), "
    "or overdue by at least overdueByMonths, by less than maxOverdueMonths, since dueSince."
)
class RecallTargetingInput:
    due_since: date | None = strawberry.field(
        default=UNSET, description="Only recalls that fell due on or after this date (UTC)."
    )
    overdue_by_months: int | None = strawberry.field(
        default=UNSET, description="At least this many months overdue; 0 (default): due this month."
    )
    max_overdue_months: int | None = strawberry.field(
        default=UNSET, description="Overdue by less than this many months (above overdueByMonths)."
    )


@strawberry.type(description="A targeting's recall window (see RecallTargetingInput).")
class RecallTargeting:
    due_since: date | None
    overdue_by_months: int
    max_overdue_months: int | None

    @classmethod
    def from_wire(cls, doc: dict[str, Any] | None) -> "RecallTargeting | None":
        if doc is None:
            return None
        since = doc.get("dueSince")
        return cls(
            due_since=date.fromisoformat(since) if since else None,
            overdue_by_months=int(doc.get("overdueByMonths") or 0),
            max_overdue_months=doc.get("maxOverdueMonths"),
        )


@strawberry.type(
    description="Selected patients by how overdue their recall is (each counted once; the due "
    "date is the last visit plus the patient's recall interval)."
)
class RecallBuckets:
    due_this_month: int = strawberry.field(
        description="Due by the end of this month and less than a month ago."
    )
    overdue_1_to_3_months: int = strawberry.field(name="overdue1To3Months")
    overdue_3_to_12_months: int = strawberry.field(name="overdue3To12Months")
    overdue_12_plus_months: int = strawberry.field(name="overdue12PlusMonths")
    not_due: int = strawberry.field(description="Due after this month.")

    @classmethod
    def from_wire(cls, doc: dict[str, Any] | None) -> "RecallBuckets | None":
        if not doc:
            return None  # an audience-svc from before the buckets
        return cls(
            due_this_month=int(doc.get("dueThisMonth", 0)),
            overdue_1_to_3_months=int(doc.get("overdue1To3Months", 0)),
            overdue_3_to_12_months=int(doc.get("overdue3To12Months", 0)),
            overdue_12_plus_months=int(doc.get("overdue12PlusMonths", 0)),
            not_due=int(doc.get("notDue", 0)),
        )
