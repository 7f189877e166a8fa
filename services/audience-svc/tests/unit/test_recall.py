"""Recall due dates, the window a targeting asks for and the estimate's buckets, without
servers."""

from datetime import UTC, date, datetime

import pytest
from audience_rows import targeting_row_of as row

from audience_svc.domain.facts import R_RECALL_DUE
from audience_svc.domain.import_rows import CsvRows, Rejected, Row
from audience_svc.domain.recall import (
    DEFAULT_INTERVAL_MONTHS,
    RecallWindow,
    add_months,
    end_of_month,
    interval_months,
    recall_problems,
)
from audience_svc.domain.targeting import Audience, evaluate
from reengage_common.events import MessageTemplate, RecallTargeting, Targeting

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
EMAIL_STEP = MessageTemplate(channel="EMAIL", subject="s", body="b", sequence=1)


def at(year: int, month: int, day: int, hour: int = 15) -> float:
    return datetime(year, month, day, hour, tzinfo=UTC).timestamp()


def recall_audience(recall: RecallTargeting | None = None) -> Audience:
    targeting = Targeting(inactive_days=1, recall=recall)
    return Audience(campaign_id="c", targeting=targeting, channels=("EMAIL",), steps=(EMAIL_STEP,))


def test_the_interval_is_the_patients_own_else_their_stages_else_six_months() -> None:
    assert interval_months(12, "ACTIVE_TREATMENT") == 12
    assert interval_months(None, "ACTIVE_TREATMENT") == 2
    assert interval_months(None, "RETENTION") == 12
    assert interval_months(None, "HYGIENE_RECALL") == DEFAULT_INTERVAL_MONTHS == 6
    assert interval_months(None, None) == 6


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (at(2026, 8, 31), 6, at(2027, 2, 28)),  # the day clamped to the month's last
        (at(2027, 8, 31), 6, at(2028, 2, 29)),  # a leap year's
        (at(2026, 11, 26), -1, at(2026, 10, 26)),
        (at(2026, 1, 15), -12, at(2025, 1, 15)),
    ],
)
def test_months_are_calendar_months_in_utc(start: float, months: int, expected: float) -> None:
    assert add_months(start, months) == expected


def test_a_date_past_the_calendar_is_never_due() -> None:
    assert add_months(at(9999, 6, 1), 12) == float("inf")
    assert end_of_month(at(2026, 12, 31, 23)) == at(2027, 1, 1, 0)


def test_the_row_holds_the_due_date_from_the_last_visit_and_the_interval() -> None:
    seen = at(2026, 4, 26)

    assert row("default", seen)[R_RECALL_DUE] == at(2026, 10, 26)
    assert row("own", seen, recallIntervalMonths=12)[R_RECALL_DUE] == at(2027, 4, 26)
    assert row("stage", seen, treatmentStage="RETENTION")[R_RECALL_DUE] == at(2027, 4, 26)


@pytest.mark.parametrize(
    ("due", "bucket"),
    [
        (at(2026, 12, 1, 0), "notDue"),  # the month's end belongs to the next
        (at(2026, 11, 30, 23), "dueThisMonth"),
        (at(2026, 10, 26, 15) + 1, "dueThisMonth"),  # less than a month ago
        (at(2026, 10, 26, 15), "overdue1To3Months"),  # a month ago exactly
        (at(2026, 8, 26, 15) + 1, "overdue1To3Months"),
        (at(2026, 8, 26, 15), "overdue3To12Months"),
        (at(2025, 11, 26, 15) + 1, "overdue3To12Months"),
        (at(2025, 11, 26, 15), "overdue12PlusMonths"),
    ],
)
def test_each_due_date_falls_in_one_bucket(due: float, bucket: str) -> None:
    assert RecallWindow.of(NOW.timestamp(), None).bucket(due) == bucket


def test_seen_seven_months_ago_with_the_default_is_due_and_a_twelve_month_interval_is_not() -> None:
    seen = add_months(NOW.timestamp(), -7)
    rows = [row("default", seen), row("yearly", seen, recallIntervalMonths=12)]

    result = evaluate(recall_audience(RecallTargeting()), rows, NOW.timestamp())

    assert [s.patient_id for s in result.selected] == ["default"]
    assert result.excluded == {"RECALL_NOT_DUE": 1}
    assert result.recall["overdue1To3Months"] == 1


def test_overdue_by_and_due_since_bound_the_window() -> None:
    now = NOW.timestamp()
    rows = [row(f"due-{n}-months-ago", add_months(now, -6 - n)) for n in (0, 1, 2, 3, 12, 13)]

    one_to_three = RecallTargeting(overdue_by_months=1, max_overdue_months=3)
    result = evaluate(recall_audience(one_to_three), rows, now)
    since = evaluate(recall_audience(RecallTargeting(due_since=date(2026, 7, 1))), rows, now)

    assert [s.patient_id for s in result.selected] == ["due-1-months-ago", "due-2-months-ago"]
    assert result.excluded == {"RECALL_NOT_DUE": 1, "RECALL_OVERDUE_TOO_LONG": 3}
    assert [s.patient_id for s in since.selected] == [
        "due-0-months-ago",
        "due-1-months-ago",
        "due-2-months-ago",
        "due-3-months-ago",
    ]


def test_buckets_count_every_selected_patient_once() -> None:
    now = NOW.timestamp()
    months_ago = (-1, 0, 0, 2, 5, 5, 5, 14)  # -1: due next month
    rows = [row(f"p{n}", add_months(now, -6 - m)) for n, m in enumerate(months_ago)]

    result = evaluate(recall_audience(), rows, now, keep=False)

    assert result.recall == {
        "overdue12PlusMonths": 1,
        "overdue3To12Months": 3,
        "overdue1To3Months": 1,
        "dueThisMonth": 2,
        "notDue": 1,
    }
    assert sum(result.recall.values()) == result.total == len(rows)


def test_a_window_that_selects_no_one_names_its_upper_bound() -> None:
    assert recall_problems(RecallTargeting(overdue_by_months=3, max_overdue_months=3)) == [
        ("maxOverdueMonths", "must be more than overdueByMonths (3), or the window is empty")
    ]
    assert recall_problems(RecallTargeting(overdue_by_months=1, max_overdue_months=3)) == []


def test_an_own_interval_outside_the_contract_is_read_as_none() -> None:
    assert interval_months(0, None) == 6
    assert interval_months(2**63 - 1, "RETENTION") == 12


def test_an_import_row_names_an_interval_outside_the_contract() -> None:
    rows = CsvRows()
    rows.read(1, ["patientId", "recallIntervalMonths"])

    good, bad = rows.read(2, ["p-1", "12"]), rows.read(3, ["p-2", "0"])

    assert isinstance(good, Row) and good.patient.recall_interval_months == 12
    assert bad == Rejected(3, "recallIntervalMonths: must be 1 to 120 months, not 0")
