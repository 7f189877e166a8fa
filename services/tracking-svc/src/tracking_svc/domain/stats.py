"""A campaign's figures from its folded recipients: counts, rates, cost, revenue, ROI, A/B, lift.

ROI = (revenue - cost) / cost, with cost = messages + incentives redeemed by rebookings that
stand (a cancelled rebooking gives its revenue and its incentive back). A/B compares response
and rebook rates of two variants with a two-proportion z-test; a winner is named only when
p < 0.05. Lift compares the contacted recipients' rebook rate with the holdout's.
"""

import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from scipy.stats import norm

from reengage_common.events import SendOutcome
from tracking_svc.domain.recipients import STATUS_ORDER, CampaignFacts, Recipient

SIGNIFICANCE = 0.05


@dataclass(frozen=True)
class CampaignTerms:
    """What campaign.launched told us that the figures need."""

    incentive_code: str | None = None
    incentive_cost_cents: int = 0
    variants: tuple[str, ...] = ()


@dataclass(frozen=True)
class ZTest:
    z: float
    p_value: float


def two_proportion_z_test(x1: int, n1: int, x2: int, n2: int) -> ZTest | None:
    """Two-sided test of p1 == p2 with the pooled proportion; None when it is undefined."""
    if n1 == 0 or n2 == 0 or not (0 <= x1 <= n1 and 0 <= x2 <= n2):
        return None
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return None
    z = (x1 / n1 - x2 / n2) / se
    return ZTest(z, float(2 * norm.sf(abs(z))))


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _redeemed(recipient: Recipient, code: str | None) -> int:
    if not code:
        return 0
    return sum(
        1
        for booking in recipient.live_rebookings
        if (booking.incentive_code or "").strip().upper() == code
    )


def _tally(recipients: list[Recipient], terms: CampaignTerms) -> Counter[str]:
    """The raw counts of a group, in one pass over its recipients."""
    code = terms.incentive_code.strip().upper() if terms.incentive_code else None
    tally: Counter[str] = Counter()
    for r in recipients:
        contacted, responded, rebooked = r.contacted, r.responded_at is not None, bool(r.rebookings)
        tally["recipients"] += 1
        tally["contacted"] += contacted
        tally["responded"] += responded
        tally["interested"] += r.interested
        tally["notInterested"] += r.response == "NOT_INTERESTED"
        tally["clicked"] += "CLICKED" in r.responses
        tally["replied"] += bool(r.replies)
        tally["rebooked"] += rebooked
        tally["unsubscribed"] += "UNSUBSCRIBED" in r.responses
        tally["bounced"] += "BOUNCED" in r.responses
        # A/B and lift compare contacted recipients only: a response can arrive before its
        # message.sent is counted, and must not make a rate exceed 1.
        tally["contactedResponded"] += contacted and responded
        tally["contactedRebooked"] += contacted and rebooked
        for step in r.steps.values():
            tally[step.outcome or "DUE"] += 1
            tally["delivered"] += step.delivered
            tally["messageCostCents"] += step.cost_cents
        if r.rebookings:
            tally["incentivesRedeemed"] += _redeemed(r, code)
            tally["revenueCents"] += sum(b.revenue_cents for b in r.live_rebookings)
    return tally


COUNTS = (
    "recipients", "contacted", "sent", "delivered", "failed", "skipped", "responded",
    "interested", "notInterested", "clicked", "replied", "rebooked", "unsubscribed", "bounced",
    "contactedResponded", "contactedRebooked",
)  # fmt: skip


def _figures(tally: Counter[str], terms: CampaignTerms) -> dict[str, Any]:
    counts: dict[str, Any] = {
        name: tally[name] for name in COUNTS if name not in ("sent", "failed", "skipped")
    }
    counts["sent"] = tally[SendOutcome.SENT]
    counts["failed"] = tally[SendOutcome.FAILED]
    counts["skipped"] = tally[SendOutcome.SKIPPED]
    message_cost, redeemed = tally["messageCostCents"], tally["incentivesRedeemed"]
    incentive_cost = redeemed * terms.incentive_cost_cents
    revenue, cost = tally["revenueCents"], message_cost + incentive_cost
    counts.update(
        messageCostCents=message_cost,
        incentivesRedeemed=redeemed,
        incentiveCostCents=incentive_cost,
        costCents=cost,
        revenueCents=revenue,
        roi=(revenue - cost) / cost if cost else None,
        rates={
            "delivery": rate(counts["delivered"], counts["sent"]),
            "response": rate(counts["responded"], counts["contacted"]),
            "interest": rate(counts["interested"], counts["contacted"]),
            "click": rate(counts["clicked"], counts["contacted"]),
            "rebook": rate(counts["rebooked"], counts["contacted"]),
            "unsubscribe": rate(counts["unsubscribed"], counts["contacted"]),
            "bounce": rate(counts["bounced"], counts["contacted"]),
            "failure": rate(counts["failed"], counts["sent"] + counts["failed"]),
        },
    )
    return counts


def _message_breakdown(recipients: list[Recipient], by: str) -> list[dict[str, Any]]:
    groups: dict[Any, Counter[str]] = defaultdict(Counter)
    for recipient in recipients:
        for step in recipient.steps.values():
            group = groups[getattr(step, by)]
            group[step.outcome or "DUE"] += 1
            group["steps"] += 1
            group["delivered"] += int(step.delivered)
            group["costCents"] += step.cost_cents
    rows = []
    for key in sorted(groups):
        group = groups[key]
        rows.append(
            {
                by: key,
                "due": group["steps"],
                "sent": group[SendOutcome.SENT],
                "delivered": group["delivered"],
                "failed": group[SendOutcome.FAILED],
                "skipped": group[SendOutcome.SKIPPED],
                "costCents": group["costCents"],
            }
        )
    return rows


def _responses_by_channel(recipients: list[Recipient]) -> dict[str, Counter[str]]:
    by_channel: dict[str, Counter[str]] = defaultdict(Counter)
    for recipient in recipients:
        for kind, (_, channel) in recipient.responses.items():
            if channel:
                by_channel[channel][kind] += 1
    return by_channel


def _comparison(metric: str, a: tuple[str, dict], b: tuple[str, dict]) -> dict[str, Any]:
    (name_a, counts_a), (name_b, counts_b) = a, b
    field = {"responded": "contactedResponded", "rebooked": "contactedRebooked"}[metric]
    x1, n1 = counts_a[field], counts_a["contacted"]
    x2, n2 = counts_b[field], counts_b["contacted"]
    test = two_proportion_z_test(x1, n1, x2, n2)
    significant = test is not None and test.p_value < SIGNIFICANCE
    winner = None
    if significant:
        winner = name_a if x1 / n1 > x2 / n2 else name_b
    return {
        "metric": metric,
        "variantA": name_a,
        "variantB": name_b,
        "rateA": rate(x1, n1),
        "rateB": rate(x2, n2),
        "z": test.z if test else None,
        "pValue": test.p_value if test else None,
        "significant": significant,
        "winner": winner,
    }


def _lift(treated: dict[str, Any], holdout: list[Recipient]) -> dict[str, Any]:
    held = len(holdout)
    booked = sum(1 for r in holdout if any(not b.cancelled for b in r.holdout_bookings.values()))
    treated_rate = rate(treated["contactedRebooked"], treated["contacted"])
    holdout_rate = rate(booked, held)
    test = two_proportion_z_test(treated["contactedRebooked"], treated["contacted"], booked, held)
    absolute = None if treated_rate is None or holdout_rate is None else treated_rate - holdout_rate
    return {
        "heldOut": held,
        "holdoutRebooked": booked,
        "holdoutRebookRate": holdout_rate,
        "treatedRebookRate": treated_rate,
        "absoluteLift": absolute,
        "relativeLift": absolute / holdout_rate if absolute is not None and holdout_rate else None,
        "incrementalRebookings": absolute * treated["contacted"] if absolute is not None else None,
        "pValue": test.p_value if test else None,
        "significant": test is not None and test.p_value < SIGNIFICANCE,
    }


def campaign_stats(campaign_id: str, folded: CampaignFacts, terms: CampaignTerms) -> dict[str, Any]:
    everyone = list(folded.recipients.values())
    treated = [r for r in everyone if not r.holdout]
    holdout = [r for r in everyone if r.holdout]
    by_group: dict[str, list[Recipient]] = {}
    for r in treated:
        by_group.setdefault(r.variant or "A", []).append(r)
    tallies = {name: _tally(group, terms) for name, group in by_group.items()}
    totals = _figures(sum(tallies.values(), Counter()), terms)
    excluded: Counter[str] = Counter()
    for evaluation in folded.evaluations:
        excluded.update(evaluation.get("excluded") or {})
    evaluated = bool(folded.evaluations)
    variant_names = sorted({r.variant or "A" for r in treated} | set(terms.variants))
    by_variant = {name: _figures(tallies.get(name, Counter()), terms) for name in variant_names}
    comparisons = [
        _comparison(metric, (a, by_variant[a]), (b, by_variant[b]))
        for i, a in enumerate(variant_names)
        for b in variant_names[i + 1 :]
        for metric in ("responded", "rebooked")
    ]
    responses = _responses_by_channel(treated)
    by_channel = [
        {**row, "responses": dict(responses.get(row["channel"], {}))}
        for row in _message_breakdown(treated, "channel")
    ]
    statuses = Counter(r.status for r in treated)
    return {
        "campaignId": campaign_id,
        "targeted": sum(e.get("targeted", 0) for e in folded.evaluations)
        if evaluated
        else len(everyone),
        "heldOut": sum(e.get("heldOut", 0) for e in folded.evaluations)
        if evaluated
        else len(holdout),
        "excluded": dict(sorted(excluded.items())),
        **totals,
        "statusCounts": {status: statuses[status] for status in STATUS_ORDER},
        "byVariant": [{"variant": name, **by_variant[name]} for name in variant_names],
        "byChannel": by_channel,
        "byStep": _message_breakdown(treated, "sequence"),
        "abTests": comparisons,
        "winner": _winner(comparisons),
        "lift": _lift(totals, holdout),
    }


def _winner(comparisons: list[dict[str, Any]]) -> dict[str, str | None]:
    """Per metric, the variant that beat every other variant significantly, if one did."""
    winners: dict[str, str | None] = {}
    for metric in ("responded", "rebooked"):
        rows = [c for c in comparisons if c["metric"] == metric]
        names = {c["variantA"] for c in rows} | {c["variantB"] for c in rows}
        wins = Counter(c["winner"] for c in rows if c["winner"])
        best = [name for name in names if wins[name] == len(names) - 1]
        winners[metric] = best[0] if rows and best else None
    return winners
