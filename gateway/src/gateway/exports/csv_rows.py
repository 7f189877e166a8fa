"""CSV as spreadsheets read it (RFC 4180, CRLF), each row of an export built from JSON.

A cell that starts like a formula (`=`, `+`, `-`, `@`, tab, CR) is prefixed with `'`, so a
patient named `=HYPERLINK(...)` stays text in Excel (OWASP's CSV injection advice); numbers are
written as numbers, so a negative ROI stays a number.
"""

import csv
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

RECIPIENT_COLUMNS = (
    "patientId",
    "name",
    "status",
    "response",
    "variant",
    "holdout",
    "channel",
    "contactAttempts",
    "lastContactedAt",
    "respondedAt",
    "rebookedAppointmentId",
    "lastEventAt",
    "replies",
)
STATS_COLUMNS = ("breakdown", "group", "figure", "value")
# Figures of the whole campaign, in the order the stats page shows them.
TOTALS = (
    "targeted",
    "heldOut",
    "recipients",
    "contacted",
    "sent",
    "delivered",
    "failed",
    "skipped",
    "responded",
    "interested",
    "notInterested",
    "clicked",
    "replied",
    "rebooked",
    "unsubscribed",
    "bounced",
    "messageCostCents",
    "incentivesRedeemed",
    "incentiveCostCents",
    "revenueCents",
    "costCents",
    "roi",
)
VARIANT_FIGURES = (
    "recipients",
    "contacted",
    "sent",
    "responded",
    "interested",
    "clicked",
    "rebooked",
    "unsubscribed",
    "bounced",
    "costCents",
    "revenueCents",
    "roi",
)
MESSAGE_FIGURES = ("due", "sent", "delivered", "failed", "skipped", "costCents")
SUMMARY_COLUMNS = (
    "campaignId",
    "name",
    "status",
    "launchedAt",
    "completedAt",
    "targeted",
    "sent",
    "delivered",
    "responded",
    "rebooked",
    "unsubscribed",
    "bounced",
    "revenueCents",
    "costCents",
    "roi",
)


def cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_lines(rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """Each row as one CSV line (CRLF), cells neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([cell(value) for value in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def recipient_row(recipient: Mapping[str, Any]) -> list[Any]:
    replies = " | ".join(str(r.get("text") or "") for r in recipient.get("replies") or [])
    return [replies if c == "replies" else recipient.get(c) for c in RECIPIENT_COLUMNS]


def stats_rows(stats: Mapping[str, Any]) -> Iterator[tuple[str, str, str, Any]]:
    """A campaign's figures as long rows (breakdown, group, figure, value): one table a
    spreadsheet pivots, however many variants, channels and steps the campaign has."""
    for figure in TOTALS:
        yield ("total", "", figure, stats.get(figure))
    for rate, value in (stats.get("rates") or {}).items():
        yield ("rate", "", rate, value)
    for reason, count in (stats.get("excluded") or {}).items():
        yield ("excluded", reason, "patients", count)
    for status, count in (stats.get("statusCounts") or {}).items():
        yield ("status", status, "recipients", count)
    for variant in stats.get("byVariant") or []:
        for figure in VARIANT_FIGURES:
            yield ("variant", str(variant.get("variant")), figure, variant.get(figure))
    for channel in stats.get("byChannel") or []:
        for figure in MESSAGE_FIGURES:
            yield ("channel", str(channel.get("channel")), figure, channel.get(figure))
    for step in stats.get("byStep") or []:
        for figure in MESSAGE_FIGURES:
            yield ("step", str(step.get("sequence")), figure, step.get(figure))
    lift = stats.get("lift") or {}
    for figure, value in lift.items():
        yield ("holdout", "", figure, value)


def summary_row(campaign: Mapping[str, Any], stats: Mapping[str, Any]) -> list[Any]:
    row = {**stats, "campaignId": campaign.get("id"), **campaign}
    return [row.get(column) for column in SUMMARY_COLUMNS]


class SummaryTotals:
    """The last line of a summary, summed as rows stream past: every count, ROI over the sums."""

    def __init__(self) -> None:
        self.campaigns = 0
        self.sums: dict[str, int] = dict.fromkeys(SUMMARY_COLUMNS[5:-1], 0)

    def add(self, row: Sequence[Any]) -> None:
        self.campaigns += 1
        for column, value in zip(SUMMARY_COLUMNS, row, strict=True):
            if column in self.sums and isinstance(value, int):
                self.sums[column] += value

    def row(self) -> list[Any]:
        cost = self.sums["costCents"]
        roi = round((self.sums["revenueCents"] - cost) / cost, 4) if cost else None
        return ["TOTAL", f"{self.campaigns} campaigns", "", "", "", *self.sums.values(), roi]


def file_day(moment: datetime | date) -> str:
    return moment.strftime("%Y%m%d")
