"""Exports: a campaign's recipients and stats, and a summary across campaigns for a date range,
as CSV streamed a page at a time (any size, constant memory), and the stats page as PDF.

Every export reads like the API it comes from (READ, the caller's clinic only). The first
page is fetched before the answer starts, so a campaign not found, a bad filter or a service
that is down is an ordinary error answer; a failure after the first bytes aborts the transfer
(no final chunk), which a client sees as an incomplete download, never as a short file.
"""

from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import datetime
from typing import Any

from gateway.exports.csv_rows import (
    RECIPIENT_COLUMNS,
    STATS_COLUMNS,
    SUMMARY_COLUMNS,
    SummaryTotals,
    csv_lines,
    recipient_row,
    stats_rows,
    summary_row,
)
from gateway.exports.date_range import BadRange, DateRange, parse_range, ran_during
from gateway.exports.stats_pdf import stats_pdf
from gateway.operations import campaigns, tracking
from gateway.operations.access import READ, Caller, requires
from gateway.operations.errors import FieldProblem, Invalid
from gateway.operations.service_calls import JSONDocument, call_service, query_params

PAGE = 100  # the largest page campaign-svc and tracking-svc answer, and tracking's stats batch
Lines = AsyncIterator[str]


@requires(READ)
async def recipients_csv(caller: Caller, campaign_id: str, *, status: str | None = None) -> Lines:
    """Every recipient of the campaign (with `status`, only those), one CSV row each."""
    await campaigns.get_campaign(caller, campaign_id)  # another clinic's id: NotFound
    first = await _recipient_page(caller, campaign_id, status, None)

    async def lines() -> Lines:
        for line in csv_lines([RECIPIENT_COLUMNS]):
            yield line
        page = first
        while True:
            for line in csv_lines(recipient_row(r) for r in page.get("items") or []):
                yield line
            info = page.get("pageInfo") or {}
            if not info.get("hasNextPage") or not info.get("endCursor"):
                return
            page = await _recipient_page(caller, campaign_id, status, info["endCursor"])

    return lines()


async def _recipient_page(
    caller: Caller, campaign_id: str, status: str | None, after: str | None
) -> JSONDocument:
    path = campaigns.campaign_path(campaign_id, "recipients")
    params = query_params(status=status, first=PAGE, after=after)
    return await call_service(caller, tracking.SERVICE, "GET", path, params=params)


@requires(READ)
async def stats_csv(caller: Caller, campaign_id: str) -> Lines:
    stats = await tracking.campaign_stats(caller, campaign_id)
    return _lines([STATS_COLUMNS, *stats_rows(stats)])


@requires(READ)
async def stats_pdf_file(caller: Caller, campaign_id: str, *, now: datetime) -> bytes:
    campaign = await campaigns.get_campaign(caller, campaign_id)
    stats = await tracking.campaign_stats(caller, campaign_id)
    return stats_pdf(campaign, stats, made_at=now)


def date_range(start: str | None, end: str | None) -> DateRange:
    """The range of a summary; Invalid names `from` or `to`."""
    try:
        return parse_range(start, end)
    except BadRange as bad:
        raise Invalid(bad.message, [FieldProblem(bad.field, bad.message, bad.code)]) from bad


async def campaigns_in_range(
    caller: Caller, span: DateRange
) -> AsyncIterator[tuple[JSONDocument, JSONDocument]]:
    """Each campaign that ran during the range, newest first, with its figures: one page of
    campaigns and one stats batch per 100 campaigns (each call requires READ itself)."""
    after: str | None = None
    while True:
        page = await campaigns.list_campaigns(caller, first=PAGE, after=after)
        ran = [c for c in page.get("items") or [] if ran_during(c, span)]
        figures = await tracking.stats_by_campaign_ids(caller, [c["id"] for c in ran])
        for campaign, stats in zip(ran, figures, strict=True):
            yield campaign, stats
        info = page.get("pageInfo") or {}
        if not info.get("hasNextPage") or not info.get("endCursor"):
            return
        after = info["endCursor"]


@requires(READ)
async def summary_csv(caller: Caller, span: DateRange) -> Lines:
    """One row per campaign that ran during the range, then a TOTAL row."""
    found = campaigns_in_range(caller, span)
    first = await anext(found, None)  # a service down answers before the file starts

    async def lines() -> Lines:
        totals = SummaryTotals()
        for line in csv_lines([SUMMARY_COLUMNS]):
            yield line
        pending: tuple[JSONDocument, JSONDocument] | None = first
        while pending is not None:
            row = summary_row(*pending)
            totals.add(row)
            for line in csv_lines([row]):
                yield line
            pending = await anext(found, None)
        for line in csv_lines([totals.row()]):
            yield line

    return lines()


async def _lines(rows: Iterable[Sequence[Any]]) -> Lines:
    for line in csv_lines(rows):
        yield line
