"""The export files: GET .../recipients.csv, .../stats.csv, .../stats.pdf of one campaign, and
GET /api/booking/reports/campaigns.csv?from=&to= across campaigns. CSV is streamed."""

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from gateway.operations import exports
from gateway.operations.access import Caller
from gateway.rest.campaigns import ONE, ONE_CAMPAIGN
from gateway.rest.endpoints import RestRoute, choice_query, errors, text_query
from reengage_common.resources.recipients import RECIPIENT_STATUSES

CSV = "text/csv; charset=utf-8"
PDF = "application/pdf"
TAG = "exports"
STATUS_QUERY = {"status": {"enum": list(RECIPIENT_STATUSES)}}
RANGE_QUERY = {
    "from": {"type": "string", "format": "date"},
    "to": {"type": "string", "format": "date"},
}
ON_ONE = errors(401, 403, 404, 503, meaning=ONE_CAMPAIGN)


def _safe(text: str) -> str:
    """A file name's part: what no browser or shell reads otherwise."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", text)[:80] or "campaign"


def _csv(lines: AsyncIterator[str], filename: str) -> StreamingResponse:
    async def encoded() -> AsyncIterator[bytes]:
        async for line in lines:
            yield line.encode("utf-8")

    return StreamingResponse(
        encoded(),
        media_type=CSV,
        headers={
            "content-disposition": f'attachment; filename="{filename}"',
            "cache-control": "no-store",
        },
    )


async def recipients_csv(request: Request, caller: Caller) -> Any:
    campaign_id = str(request.path_params["id"])
    status = choice_query(request, "status", STATUS_QUERY["status"]["enum"]) or None
    lines = await exports.recipients_csv(caller, campaign_id, status=status)
    suffix = f"-{status.lower()}" if status else ""
    return _csv(lines, f"recipients-{_safe(campaign_id)}{suffix}.csv")


async def stats_csv(request: Request, caller: Caller) -> Any:
    campaign_id = str(request.path_params["id"])
    lines = await exports.stats_csv(caller, campaign_id)
    return _csv(lines, f"stats-{_safe(campaign_id)}.csv")


async def stats_pdf(request: Request, caller: Caller) -> Any:
    campaign_id = str(request.path_params["id"])
    document = await exports.stats_pdf_file(caller, campaign_id, now=datetime.now(UTC))
    return Response(
        document,
        media_type=PDF,
        headers={
            "content-disposition": f'attachment; filename="stats-{_safe(campaign_id)}.pdf"',
            "cache-control": "no-store",
        },
    )


async def summary_csv(request: Request, caller: Caller) -> Any:
    span = exports.date_range(text_query(request, "from"), text_query(request, "to"))
    lines = await exports.summary_csv(caller, span)
    return _csv(lines, f"campaigns-{span.start:%Y%m%d}-{span.end:%Y%m%d}.csv")


ROUTES: tuple[RestRoute, ...] = (
    RestRoute(
        "GET",
        ONE + "/recipients.csv",
        exports.recipients_csv,
        recipients_csv,
        "Every recipient of the campaign as CSV, streamed (any size); `status` filters",
        None,
        query=STATUS_QUERY,
        errors=errors(401, 403, 404, 422, 503, meaning=ONE_CAMPAIGN),
        tag=TAG,
        media_type=CSV,
    ),
    RestRoute(
        "GET",
        ONE + "/stats.csv",
        exports.stats_csv,
        stats_csv,
        "The campaign's figures as CSV rows (breakdown, group, figure, value)",
        None,
        errors=ON_ONE,
        tag=TAG,
        media_type=CSV,
    ),
    RestRoute(
        "GET",
        ONE + "/stats.pdf",
        exports.stats_pdf_file,
        stats_pdf,
        "The campaign's stats page as a PDF for the practice owner",
        None,
        errors=ON_ONE,
        tag=TAG,
        media_type=PDF,
    ),
    RestRoute(
        "GET",
        "/api/booking/reports/campaigns.csv",
        exports.summary_csv,
        summary_csv,
        "Every campaign that ran during the range (launched before it ended, not finished before "
        "it began) with its figures, then a TOTAL row; CSV, streamed",
        None,
        query=RANGE_QUERY,
        required_query=("from", "to"),
        errors=errors(401, 403, 422, 503),
        tag=TAG,
        media_type=CSV,
    ),
)
