"""The export files without I/O: CSV cells and rows, the stats rows, the summary's totals, the
date range rule, and the stats PDF."""

from datetime import UTC, date, datetime

import pytest

from gateway.exports.csv_rows import (
    SUMMARY_COLUMNS,
    SummaryTotals,
    csv_lines,
    recipient_row,
    stats_rows,
    summary_row,
)
from gateway.exports.date_range import BadRange, DateRange, parse_range, ran_during
from gateway.exports.stats_pdf import latin1, stats_pdf


def test_cells_that_start_like_formulas_stay_text_and_numbers_stay_numbers() -> None:
    lines = list(
        csv_lines([["=SUM(A1)", "+1", "-x", "@me", "plain", -2, 0.5, None, True, 'a "q", b']])
    )
    assert lines == ['\'=SUM(A1),\'+1,\'-x,\'@me,plain,-2,0.5,,true,"a ""q"", b"\r\n']


def test_a_recipient_row_joins_its_replies() -> None:
    row = recipient_row(
        {"patientId": "p1", "status": "RESPONDED", "replies": [{"text": "Tue?"}, {"text": "ok"}]}
    )
    assert row[0] == "p1" and row[2] == "RESPONDED" and row[-1] == "Tue? | ok"


def test_stats_become_long_rows_per_breakdown() -> None:
    stats = {
        "targeted": 10,
        "roi": 1.5,
        "rates": {"response": 0.2},
        "excluded": {"VISITED_RECENTLY": 3},
        "byVariant": [{"variant": "A", "sent": 4}],
        "byChannel": [{"channel": "EMAIL", "sent": 4}],
        "byStep": [{"sequence": 1, "sent": 4}],
        "lift": {"heldOut": 1},
    }
    rows = list(stats_rows(stats))
    assert ("total", "", "targeted", 10) in rows and ("total", "", "roi", 1.5) in rows
    assert ("total", "", "sent", None) in rows  # a figure tracking did not send stays empty
    assert ("rate", "", "response", 0.2) in rows
    assert ("excluded", "VISITED_RECENTLY", "patients", 3) in rows
    assert ("variant", "A", "sent", 4) in rows and ("channel", "EMAIL", "sent", 4) in rows
    assert ("step", "1", "sent", 4) in rows and ("holdout", "", "heldOut", 1) in rows


def test_a_summary_totals_its_counts_and_takes_roi_over_the_sums() -> None:
    totals = SummaryTotals()
    for revenue, cost in ((30_000, 10_000), (0, 10_000)):
        totals.add(
            summary_row(
                {"id": "c", "name": "n"},
                {"targeted": 5, "revenueCents": revenue, "costCents": cost, "roi": 9.9},
            )
        )
    row = dict(zip(SUMMARY_COLUMNS, totals.row(), strict=True))
    assert row["campaignId"] == "TOTAL" and row["name"] == "2 campaigns"
    assert (row["targeted"], row["revenueCents"], row["costCents"], row["roi"]) == (
        10,
        30_000,
        20_000,
        0.5,
    )


def test_a_range_reads_iso_days_and_names_the_bad_end() -> None:
    assert parse_range("2026-11-01", "2026-11-30") == DateRange(
        date(2026, 11, 1), date(2026, 11, 30)
    )
    for start, end, field, code in [
        (None, "2026-11-30", "from", "REQUIRED"),
        ("2026-11-01", "11/30", "to", "INVALID"),
        ("2026-11-30", "2026-11-01", "to", "OUT_OF_RANGE"),
        ("2025-01-01", "2026-11-30", "to", "OUT_OF_RANGE"),
    ]:
        with pytest.raises(BadRange) as bad:
            parse_range(start, end)
        assert (bad.value.field, bad.value.code) == (field, code)


@pytest.mark.parametrize(
    ("launched", "completed", "ran"),
    [
        (None, None, False),  # a draft or a scheduled campaign never ran
        ("2026-11-10T10:00:00+00:00", None, True),  # still running
        ("2026-12-01T00:00:00+00:00", None, False),  # launched after the range
        ("2026-10-01T00:00:00+00:00", "2026-10-31T23:59:59+00:00", False),  # ended before
        ("2026-10-01T00:00:00+00:00", "2026-11-01T00:00:00+00:00", True),  # ended on day one
        ("2026-11-30T23:59:00+00:00", None, True),  # launched on the last day
    ],
)
def test_a_campaign_ran_during_a_range_when_their_times_overlap(launched, completed, ran) -> None:
    span = DateRange(date(2026, 11, 1), date(2026, 11, 30))
    assert ran_during({"launchedAt": launched, "completedAt": completed}, span) is ran


def test_the_stats_pdf_is_a_pdf_whatever_the_campaign_is_called() -> None:
    stats = {
        "targeted": 3,
        "sent": 2,
        "roi": None,
        "byChannel": [{"channel": "SMS", "sent": 2}],
        "lift": {"heldOut": 1},
    }
    made = stats_pdf(
        {"name": "Récall “winter” — 冬", "status": "ACTIVE"},
        stats,
        made_at=datetime(2026, 12, 1, tzinfo=UTC),
    )
    assert made.startswith(b"%PDF-") and made.rstrip().endswith(b"%%EOF")
    assert latin1("Récall “winter” — 冬 ā") == 'Récall "winter" - ? a'
