"""campaignSummary(from, to): the campaigns that ran during a range, with their figures and
the totals; the same rows as GET /api/booking/reports/campaigns.csv."""

from datetime import date
from typing import Annotated, Any

import strawberry

from gateway.exports.csv_rows import SUMMARY_COLUMNS, SummaryTotals, summary_row
from gateway.exports.date_range import DateRange
from gateway.operations import errors, exports
from gateway.schema.campaigns.types import (
    Campaign,
    CampaignStats,
    campaign_from_wire,
    stats_from_wire,
)
from gateway.schema.errors import NotAvailable, ValidationError, result_of
from gateway.schema.info import GatewayInfo
from gateway.schema.permissions import VIEW


@strawberry.type(description="One campaign of a summary and its figures.")
class CampaignSummaryRow:
    campaign: Campaign
    stats: CampaignStats


@strawberry.type(description="Sums over a summary's campaigns; ROI over the sums.")
class SummaryTotalFigures:
    campaigns: int
    targeted: int
    sent: int
    delivered: int
    responded: int
    rebooked: int
    unsubscribed: int
    bounced: int
    revenue_cents: int
    cost_cents: int
    roi: float | None


@strawberry.type(
    description="The campaigns that ran during a date range (UTC days, both included)."
)
class CampaignSummary:
    start: date = strawberry.field(name="from")
    end: date = strawberry.field(name="to")
    campaigns: list[CampaignSummaryRow]
    totals: SummaryTotalFigures
    csv_path: str = strawberry.field(description="Where the same summary downloads as CSV.")


CampaignSummaryResult = Annotated[
    CampaignSummary | ValidationError | NotAvailable, strawberry.union("CampaignSummaryResult")
]


def _summary(
    span: DateRange, found: list[tuple[dict[str, Any], dict[str, Any]]]
) -> CampaignSummary:
    totals = SummaryTotals()
    for campaign, stats in found:
        totals.add(summary_row(campaign, stats))
    sums = dict(zip(SUMMARY_COLUMNS, totals.row(), strict=True))
    return CampaignSummary(
        start=span.start,
        end=span.end,
        campaigns=[
            CampaignSummaryRow(campaign=campaign_from_wire(c), stats=stats_from_wire(s))
            for c, s in found
        ],
        totals=SummaryTotalFigures(
            campaigns=totals.campaigns,
            targeted=sums["targeted"],
            sent=sums["sent"],
            delivered=sums["delivered"],
            responded=sums["responded"],
            rebooked=sums["rebooked"],
            unsubscribed=sums["unsubscribed"],
            bounced=sums["bounced"],
            revenue_cents=sums["revenueCents"],
            cost_cents=sums["costCents"],
            roi=sums["roi"],
        ),
        csv_path=f"/api/booking/reports/campaigns.csv?from={span.start}&to={span.end}",
    )


@strawberry.type
class ExportQueries:
    @strawberry.field(
        permission_classes=VIEW,
        description="Campaigns launched before the range ended and not finished before it began, "
        "newest first, with their figures and totals (at most 400 days).",
    )
    async def campaign_summary(
        self, info: GatewayInfo, start: Annotated[date, strawberry.argument(name="from")], to: date
    ) -> CampaignSummaryResult | None:
        async def rows() -> tuple[DateRange, list[tuple[dict[str, Any], dict[str, Any]]]]:
            span = exports.date_range(start.isoformat(), to.isoformat())
            caller = info.context.caller()
            return span, [pair async for pair in exports.campaigns_in_range(caller, span)]

        return await result_of(
            rows(),
            lambda found: _summary(*found),
            expected=(errors.Invalid, errors.NotAvailable),
        )
