"""A campaign's figures from its folded recipients: counts, rates, cost, revenue, ROI, A/B, lift.
(Over 300 lines: every figure of the stats resource is computed here, from one tally.)

ROI = (revenue - cost) / cost, with cost = messages + incentives redeemed by rebookings that
stand (a cancelled rebooking gives its revenue and its incentive back). A/B compares response
and rebook rates of two variants with a two-proportion z-test; a winner is named only when
p < 0.05. Lift compares the contacted recipients' rebook rate with the holdout's.
"""

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
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


# --- the additive tally ---------------------------------------------------------------------
#
# Every figure is a sum over recipients, so a campaign's figures are one Counter that each
# recipient adds its share to (`add_recipient`) and `figures` turns into the answer. A snapshot
# keeps that Counter; when a recipient changes, its old share is taken out (sign -1) and its new
# share put in, so a stats query never walks 100,000 recipients. Keys are tuples:
#   ("all",)                     every recipient, held out or not (less the holdout: targeted
#                                before audience.evaluated says so)
#   ("h", "n"|"booked")          holdout recipients, and those with a standing booking
#   ("v", variant, name)         treated recipients' counts by variant (names of `COUNTS`, outcomes,
#                                delivered, messageCostCents, revenueCents)
#   ("v", variant, "redeemed", CODE)  standing rebookings that used incentive CODE
#   ("ch"|"seq", channel|sequence, name)  messages by channel / step (steps, outcomes, ...)
#   ("rch", channel, kind)       responses by channel
#   ("status", status)           treated recipients by status

Tally = Counter[tuple[Any, ...]]


def _code(code: str | None) -> str:
    return (code or "").strip().upper()


def add_recipient(tally: Tally, r: Recipient, sign: int = 1) -> None:
    """Add (sign 1) or take out (sign -1) one recipient's share of every figure."""
    tally[("all",)] += sign
    if r.holdout:
        tally[("h", "n")] += sign
        if any(not b.cancelled for b in r.holdout_bookings.values()):
            tally[("h", "booked")] += sign
        return
    v = r.variant or "A"
    contacted, responded, rebooked = r.contacted, r.responded_at is not None, bool(r.rebookings)
    for name, value in (
        ("recipients", 1),
        ("contacted", contacted),
        ("responded", responded),
        ("interested", r.interested),
        ("notInterested", r.response == "NOT_INTERESTED"),
        ("clicked", "CLICKED" in r.responses),
        ("replied", bool(r.replies)),
        ("rebooked", rebooked),
        ("unsubscribed", "UNSUBSCRIBED" in r.responses),
        ("bounced", "BOUNCED" in r.responses),
        # A/B and lift compare contacted recipients only: a response can arrive before its
        # message.sent is counted, and must not make a rate exceed 1.
        ("contactedResponded", contacted and responded),
        ("contactedRebooked", contacted and rebooked),
    ):
        if value:
            tally[("v", v, name)] += sign * int(value)
    for step in r.steps.values():
        outcome = step.outcome or "DUE"
        tally[("v", v, outcome)] += sign
        if step.fallback_for:
            tally[("v", v, "fallbacks")] += sign
            tally[("v", v, "fallbacksSent")] += sign * (outcome == SendOutcome.SENT)
        for by in (("ch", step.channel), ("seq", step.sequence)):
            tally[(*by, outcome)] += sign
            tally[(*by, "steps")] += sign
            if step.delivered:
                tally[(*by, "delivered")] += sign
            if step.cost_cents:
                tally[(*by, "costCents")] += sign * step.cost_cents
            if step.fallback_for:
                tally[(*by, "fallbacks")] += sign
        if step.delivered:
            tally[("v", v, "delivered")] += sign
        if step.cost_cents:
            tally[("v", v, "messageCostCents")] += sign * step.cost_cents
    for booking in r.live_rebookings if r.rebookings else ():
        tally[("v", v, "revenueCents")] += sign * booking.revenue_cents
        if booking.incentive_code and _code(booking.incentive_code):
            tally[("v", v, "redeemed", _code(booking.incentive_code))] += sign
    for kind, (_, channel) in r.responses.items():
        if channel:
            tally[("rch", channel, kind)] += sign
    tally[("status", r.status)] += sign


def tally_of(recipients: Iterable[Recipient]) -> Tally:
    tally: Tally = Counter()
    for recipient in recipients:
        add_recipient(tally, recipient)
    return tally


COUNTS = (
    "recipients", "contacted", "sent", "delivered", "failed", "skipped", "responded",
    "interested", "notInterested", "clicked", "replied", "rebooked", "unsubscribed", "bounced",
    "contactedResponded", "contactedRebooked", "fallbacks", "fallbacksSent",
)  # fmt: skip


def _variant_counts(tally: Tally, variant: str, terms: CampaignTerms) -> Counter[str]:
    """The raw counts of one variant's treated recipients, as `_figures` reads them."""
    counts: Counter[str] = Counter()
    for name in (*COUNTS, *SendOutcome.__members__.values(), "DUE"):
        counts[name] = tally[("v", variant, name)]
    for name in ("messageCostCents", "revenueCents"):
        counts[name] = tally[("v", variant, name)]
    code = _code(terms.incentive_code)
    counts["incentivesRedeemed"] = tally[("v", variant, "redeemed", code)] if code else 0
    return counts


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


def _message_breakdown(tally: Tally, by: str) -> list[dict[str, Any]]:
    prefix = {"channel": "ch", "sequence": "seq"}[by]
    keys = sorted({k[1] for k, n in tally.items() if k[0] == prefix and k[2] == "steps" and n})
    return [
        {
            by: key,
            "due": tally[(prefix, key, "steps")],
            "sent": tally[(prefix, key, SendOutcome.SENT)],
            "delivered": tally[(prefix, key, "delivered")],
            "failed": tally[(prefix, key, SendOutcome.FAILED)],
            "skipped": tally[(prefix, key, SendOutcome.SKIPPED)],
            "costCents": tally[(prefix, key, "costCents")],
            "fallbacks": tally[(prefix, key, "fallbacks")],
        }
        for key in keys
    ]


def _responses_by_channel(tally: Tally) -> dict[str, dict[str, int]]:
    by_channel: dict[str, dict[str, int]] = defaultdict(dict)
    for key, n in sorted(tally.items(), key=lambda item: str(item[0])):
        if key[0] == "rch" and n:
            by_channel[key[1]][key[2]] = n
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


def _lift(treated: dict[str, Any], held: int, booked: int) -> dict[str, Any]:
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
    """The figures of folded recipients (the full fold; a snapshot keeps `tally_of` instead)."""
    return figures(campaign_id, tally_of(folded.recipients.values()), folded.evaluations, terms)


def figures(
    campaign_id: str, tally: Tally, evaluations: list[dict[str, Any]], terms: CampaignTerms
) -> dict[str, Any]:
    """A campaign's answer from its recipients' summed shares and its audience evaluations."""
    treated_variants = {
        k[1] for k, n in tally.items() if k[0] == "v" and k[2] == "recipients" and n
    }
    tallies = {name: _variant_counts(tally, name, terms) for name in treated_variants}
    totals = _figures(sum(tallies.values(), Counter()), terms)
    excluded: Counter[str] = Counter()
    for evaluation in evaluations:
        excluded.update(evaluation.get("excluded") or {})
    evaluated = bool(evaluations)
    variant_names = sorted(treated_variants | set(terms.variants))
    by_variant = {name: _figures(tallies.get(name, Counter()), terms) for name in variant_names}
    comparisons = [
        _comparison(metric, (a, by_variant[a]), (b, by_variant[b]))
        for i, a in enumerate(variant_names)
        for b in variant_names[i + 1 :]
        for metric in ("responded", "rebooked")
    ]
    responses = _responses_by_channel(tally)
    by_channel = [
        {**row, "responses": dict(responses.get(row["channel"], {}))}
        for row in _message_breakdown(tally, "channel")
    ]
    held = tally[("h", "n")]
    return {
        "campaignId": campaign_id,
        "targeted": sum(e.get("targeted", 0) for e in evaluations)
        if evaluated
        else tally[("all",)] - held,
        "heldOut": sum(e.get("heldOut", 0) for e in evaluations) if evaluated else held,
        "excluded": dict(sorted(excluded.items())),
        **totals,
        "statusCounts": {status: tally[("status", status)] for status in STATUS_ORDER},
        "byVariant": [{"variant": name, **by_variant[name]} for name in variant_names],
        "byChannel": by_channel,
        "byStep": _message_breakdown(tally, "sequence"),
        "abTests": comparisons,
        "winner": _winner(comparisons),
        "lift": _lift(totals, held, tally[("h", "booked")]),
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
