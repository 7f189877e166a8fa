"""Recall due dates through events and the estimate: the default, a patient's own interval and
a stage's, the due/overdue criteria, the buckets counted exactly, a launch selecting the same,
and a bad window named by its field."""

from datetime import UTC, datetime
from typing import Any

import pytest

from reengage_common.events import AppointmentUpdated, PatientUpserted

from .conftest import days_ago, patient, visit

pytestmark = pytest.mark.infra
# NOW is 2026-11-26 15:00 UTC; each patient's last visit at 15:00 on the day below.
LAST_VISITS = {
    "seen-7-months-ago": ((2026, 4, 26), {}),  # due 2026-10-26: a month overdue
    "yearly-seen-7-months-ago": ((2026, 4, 26), {"recallIntervalMonths": 12}),  # 2027-04-26
    "retainer-seen-7-months-ago": ((2026, 4, 26), {"treatmentStage": "RETENTION"}),  # 2027-04
    "due-last-week": ((2026, 5, 19), {}),  # due 2026-11-19
    "due-4-months-ago": ((2026, 1, 26), {}),  # due 2026-07-26
    "due-14-months-ago": ((2025, 3, 26), {}),  # due 2025-09-26
}
EVERY_BUCKET = ("overdue12PlusMonths", "overdue3To12Months", "overdue1To3Months", "dueThisMonth")


def buckets(**counts: int) -> dict[str, int]:
    return {**dict.fromkeys((*EVERY_BUCKET, "notDue"), 0), **counts}


async def given_the_clinics_patients(audience: Any) -> None:
    await audience.publish(
        PatientUpserted, *(patient(pid, **fields) for pid, (_, fields) in LAST_VISITS.items())
    )
    await audience.publish(
        AppointmentUpdated,
        *(visit(pid, datetime(*day, 15, tzinfo=UTC)) for pid, (day, _) in LAST_VISITS.items()),
    )
    await audience.wait_for_patients(len(LAST_VISITS))


async def test_the_recall_criterion_selects_who_is_due_and_counts_the_buckets(audience) -> None:
    # given
    await given_the_clinics_patients(audience)

    # when
    due = await audience.estimate_once(
        lambda a: a["total"] == 4, targeting={"inactiveDays": 1, "recall": {}}
    )
    everyone = await audience.estimate(targeting={"inactiveDays": 1})

    # then: 6 months by default makes a visit 7 months ago due; 12 months (own or the
    # retainer stage's) does not
    assert due["excluded"] == {"RECALL_NOT_DUE": 2}
    assert due["recall"] == buckets(
        overdue12PlusMonths=1, overdue3To12Months=1, overdue1To3Months=1, dueThisMonth=1
    )
    assert everyone["total"] == 6
    assert everyone["recall"] == buckets(
        overdue12PlusMonths=1, overdue3To12Months=1, overdue1To3Months=1, dueThisMonth=1, notDue=2
    )


async def test_overdue_by_and_due_since_bound_whom_it_selects(audience) -> None:
    # given
    await given_the_clinics_patients(audience)

    # when
    window = {"overdueByMonths": 1, "maxOverdueMonths": 12}
    overdue = await audience.estimate(targeting={"inactiveDays": 1, "recall": window})
    since = await audience.estimate(
        targeting={"inactiveDays": 1, "recall": {"dueSince": "2026-10-01"}}
    )

    # then
    assert overdue["total"] == 2
    assert overdue["recall"] == buckets(overdue3To12Months=1, overdue1To3Months=1)
    assert overdue["excluded"] == {"RECALL_NOT_DUE": 3, "RECALL_OVERDUE_TOO_LONG": 1}
    assert since["total"] == 2
    assert since["recall"] == buckets(overdue1To3Months=1, dueThisMonth=1)
    assert since["excluded"] == {"RECALL_NOT_DUE": 2, "RECALL_OVERDUE_TOO_LONG": 2}


async def test_a_visit_moves_the_due_date_on(audience) -> None:
    # given
    await given_the_clinics_patients(audience)

    # when the patient a month overdue comes in yesterday
    await audience.publish(AppointmentUpdated, visit("seen-7-months-ago", days_ago(1), n=2))

    # then they are due again in six months
    answer = await audience.estimate_once(
        lambda a: a["total"] == 3, targeting={"inactiveDays": 1, "recall": {}}
    )
    assert answer["excluded"] == {"RECALL_NOT_DUE": 3}
    assert answer["recall"]["overdue1To3Months"] == 0


async def test_a_launch_selects_the_patients_its_estimate_counts(audience) -> None:
    # given
    await given_the_clinics_patients(audience)
    targeting = {"inactiveDays": 1, "recall": {"overdueByMonths": 1}}
    estimate = await audience.estimate(targeting=targeting, campaignId="c-recall")

    # when
    await audience.launch("c-recall", targeting=targeting)
    evaluated = await audience.evaluated("c-recall")

    # then
    assert evaluated.targeted == estimate["targeted"] == 3
    assert evaluated.excluded == estimate["excluded"] == {"RECALL_NOT_DUE": 3}
    due = await audience.events("message.due", "c-recall")
    assert {e.data.patient_id for e in due} == {
        "seen-7-months-ago",
        "due-4-months-ago",
        "due-14-months-ago",
    }


@pytest.mark.parametrize(
    ("recall", "field", "code"),
    [
        ({"overdueByMonths": -1}, "targeting.recall.overdueByMonths", "OUT_OF_RANGE"),
        (
            {"overdueByMonths": 3, "maxOverdueMonths": 3},
            "targeting.recall.maxOverdueMonths",
            "OUT_OF_RANGE",
        ),
        ({"dueSince": "2026-13-01"}, "targeting.recall.dueSince", "INVALID"),
        ({"maxOverdueMonths": "twelve"}, "targeting.recall.maxOverdueMonths", "INVALID_TYPE"),
    ],
)
async def test_a_bad_window_is_named_by_its_field(audience, recall, field, code) -> None:
    answer = await audience.client.post(
        "/estimate",
        json={"targeting": {"inactiveDays": 1, "recall": recall}},
        headers=audience.headers(),
    )

    assert answer.status_code == 422, answer.text
    assert [(f["field"], f["code"]) for f in answer.json()["error"]["fields"]] == [(field, code)]
