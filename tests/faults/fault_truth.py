"""The fault suite's clinic: who its patients are, how each one answers, and the figures that
follow — computed here from what the test injects, never read back from the system.

A seeded generator decides everything. Variant and holdout follow the contract's assignment
(blake2b of purpose/campaign/patient, `ARCHITECTURE.md`'s A/B + holdout), written out again here
so that the truth does not import the service it checks.
"""

import hashlib
import math
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

HOLDOUT_PERCENT = 10.0
VARIANTS = (("A", 1), ("B", 1))
INCENTIVE_CODE = "FAULTS20"
INCENTIVE_COST_CENTS = 700
# Patients the targeting leaves out, as a share of the clinic, one reason each.
EXCLUDED_SHARES = {"VISITED_RECENTLY": 0.02, "DO_NOT_CONTACT": 0.01, "UPCOMING_APPOINTMENT": 0.02}
# How a treated patient answers. Variant B's email draws more clicks, so A/B has a difference.
BOUNCE = 0.05
CLICK = {"A": 0.08, "B": 0.16}
CLICK_THEN_REBOOK = 0.5
STOP, YES, FREE_TEXT = 0.06, 0.10, 0.06
REBOOK_AFTER_LETTER = 0.12
HOLDOUT_REBOOK = 0.06
BOOKING_VALUES = (15_000, 25_000, 40_000)


def _unit(campaign_id: str, patient_id: str, purpose: str) -> float:
    digest = hashlib.blake2b(
        f"{purpose}/{campaign_id}/{patient_id}".encode(), digest_size=8
    ).digest()
    return int.from_bytes(digest, "big") / 2**64


def held_out(campaign_id: str, patient_id: str) -> bool:
    return _unit(campaign_id, patient_id, "holdout") * 100 < HOLDOUT_PERCENT


def variant_of(campaign_id: str, patient_id: str) -> str:
    point = _unit(campaign_id, patient_id, "variant") * sum(w for _, w in VARIANTS)
    for name, weight in VARIANTS:
        point -= weight
        if point < 0:
            return name
    return VARIANTS[-1][0]


@dataclass(frozen=True)
class Patient:
    patient_id: str
    email: str
    phone: str
    excluded: str | None  # the reason the targeting leaves them out, if it does


@dataclass
class Clinic:
    """A clinic's patients: `size` of them, `EXCLUDED_SHARES` of them left out by the rules."""

    clinic_id: str
    size: int
    run: int
    seed: int
    patients: list[Patient] = field(default_factory=list)

    def __post_init__(self) -> None:
        reasons = [
            r for r, share in EXCLUDED_SHARES.items() for _ in range(round(share * self.size))
        ]
        reasons += [None] * (self.size - len(reasons))
        random.Random(self.seed).shuffle(reasons)
        domain = f"{self.clinic_id}.faults.example"
        self.patients = [
            Patient(f"p-{n:05d}", f"p{n}@{domain}", f"+1555{self.run % 10}{n:06d}", reason)
            for n, reason in enumerate(reasons)
        ]

    @property
    def domain(self) -> str:
        return f"{self.clinic_id}.faults.example"


@dataclass(frozen=True)
class Booking:
    patient_id: str
    appointment_id: str
    value_cents: int
    code: str | None


@dataclass
class Plan:
    """Who gets which step and how each answers, for one campaign of the clinic."""

    campaign_id: str
    selected: list[str]
    held: set[str]
    variant: dict[str, str]
    bounce: set[str]
    click: set[str]
    stop: set[str]
    yes: set[str]
    free_text: set[str]
    bookings_after_click: list[Booking]
    bookings_after_letter: list[Booking]
    holdout_bookings: list[Booking]

    @property
    def treated(self) -> list[str]:
        return [p for p in self.selected if p not in self.held]

    @property
    def stopped_after_email(self) -> set[str]:
        """A bounce or a booking ends the sequence; a click alone does not (dispatch-svc's
        SEQUENCE_STOPPERS: it shows interest but asks for nothing)."""
        return self.bounce | {b.patient_id for b in self.bookings_after_click}

    @property
    def step_two(self) -> list[str]:
        """Texted: every treated patient the email did not stop."""
        return [p for p in self.treated if p not in self.stopped_after_email]

    @property
    def step_three(self) -> list[str]:
        """Written to: texted, and did not answer STOP or YES (a free reply asks nothing)."""
        return [p for p in self.step_two if p not in self.stop | self.yes]


def plan(clinic: Clinic, campaign_id: str) -> Plan:
    chance = random.Random(f"{clinic.seed}/{campaign_id}")
    selected = [p.patient_id for p in clinic.patients if p.excluded is None]
    held = {p for p in selected if held_out(campaign_id, p)}
    variant = {p: variant_of(campaign_id, p) for p in selected if p not in held}
    outcome: dict[str, set[str]] = {k: set() for k in ("bounce", "click", "stop", "yes", "free")}
    after_click, after_letter, holdout = [], [], []

    def booking(patient: str) -> Booking:
        code = INCENTIVE_CODE if chance.random() < 0.5 else None
        return Booking(patient, f"a-{patient}-re", chance.choice(BOOKING_VALUES), code)

    for patient in selected:
        if patient in held:
            if chance.random() < HOLDOUT_REBOOK:
                holdout.append(booking(patient))
            continue
        roll = chance.random()
        if roll < BOUNCE:
            outcome["bounce"].add(patient)
        elif roll < BOUNCE + CLICK[variant[patient]]:
            outcome["click"].add(patient)
            if chance.random() < CLICK_THEN_REBOOK:
                after_click.append(booking(patient))
        else:
            texted = chance.random()
            if texted < STOP:
                outcome["stop"].add(patient)
            elif texted < STOP + YES:
                outcome["yes"].add(patient)
            else:
                if texted < STOP + YES + FREE_TEXT:
                    outcome["free"].add(patient)
                if chance.random() < REBOOK_AFTER_LETTER:
                    after_letter.append(booking(patient))
    return Plan(
        campaign_id,
        selected,
        held,
        variant,
        outcome["bounce"],
        outcome["click"],
        outcome["stop"],
        outcome["yes"],
        outcome["free"],
        after_click,
        after_letter,
        holdout,
    )


# --- the figures ----------------------------------------------------------------------------


def _p_value(x1: int, n1: int, x2: int, n2: int) -> float | None:
    """Two-sided two-proportion z-test with the pooled proportion."""
    if not n1 or not n2:
        return None
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return None
    return math.erfc(abs(x1 / n1 - x2 / n2) / se / math.sqrt(2))


def _counts(the_plan: Plan, patients: list[str], costs: dict[str, int]) -> dict[str, Any]:
    """The counts of a set of treated patients; `costs` the cost of each one's messages."""
    who = set(patients)
    texted = who & set(the_plan.step_two)
    written = who & set(the_plan.step_three)
    # each step's next is due once it is sent, and skipped if the patient's answer stopped it
    skipped = len(who - texted) + len(texted - written)
    bookings = [b for b in the_plan.bookings_after_click + the_plan.bookings_after_letter
                if b.patient_id in who]  # fmt: skip
    rebooked = {b.patient_id for b in bookings}
    responded = (who & (the_plan.click | the_plan.yes | the_plan.free_text)) | rebooked
    return {
        "recipients": len(who),
        "contacted": len(who),
        "sent": len(who) + len(texted) + len(written),
        "delivered": len(who - the_plan.bounce),
        "failed": 0,
        "skipped": skipped,
        "responded": len(responded),
        "interested": len((who & (the_plan.click | the_plan.yes)) | rebooked),
        "notInterested": 0,
        "clicked": len(who & the_plan.click),
        "replied": len(who & the_plan.free_text),
        "rebooked": len(rebooked),
        "unsubscribed": len(who & the_plan.stop),
        "bounced": len(who & the_plan.bounce),
        "contactedResponded": len(responded),
        "contactedRebooked": len(rebooked),
        "messageCostCents": sum(costs[p] for p in who),
        "revenueCents": sum(b.value_cents for b in bookings),
        "incentivesRedeemed": sum(1 for b in bookings if b.code == INCENTIVE_CODE),
    }


def expected_stats(clinic: Clinic, the_plan: Plan, costs: dict[str, int]) -> dict[str, Any]:
    """The stats tracking-svc must answer once everything injected has been taken in.

    `costs`: each treated patient's message cost, from the provider calls' own price list
    (dispatch's settings), checked separately against the providers' records."""
    totals = _counts(the_plan, the_plan.treated, costs)
    totals["incentiveCostCents"] = totals["incentivesRedeemed"] * INCENTIVE_COST_CENTS
    totals["costCents"] = totals["messageCostCents"] + totals["incentiveCostCents"]
    by_variant = {
        name: _counts(the_plan, [p for p in the_plan.treated if the_plan.variant[p] == name], costs)
        for name, _ in VARIANTS
    }
    cost = totals["costCents"]
    a, b = by_variant["A"], by_variant["B"]
    held = len(the_plan.held)
    holdout_booked = len({b.patient_id for b in the_plan.holdout_bookings})
    excluded = Counter(p.excluded for p in clinic.patients if p.excluded)
    treated_bookings = [*the_plan.bookings_after_click, *the_plan.bookings_after_letter]
    return {
        "targeted": len(the_plan.treated),
        "heldOut": held,
        "excluded": dict(sorted(excluded.items())),
        **totals,
        "roi": (totals["revenueCents"] - cost) / cost if cost else None,
        "statusCounts": _status_counts(the_plan, {b.patient_id for b in treated_bookings}),
        "byStep": [
            {"sequence": 1, "due": len(the_plan.treated), "sent": len(the_plan.treated)},
            {"sequence": 2, "due": len(the_plan.treated), "sent": len(the_plan.step_two)},
            {"sequence": 3, "due": len(the_plan.step_two), "sent": len(the_plan.step_three)},
        ],
        "pValue": {
            metric: _p_value(a[field_], a["contacted"], b[field_], b["contacted"])
            for metric, field_ in (
                ("responded", "contactedResponded"),
                ("rebooked", "contactedRebooked"),
            )
        },
        "lift": {
            "heldOut": held,
            "holdoutRebooked": holdout_booked,
            "pValue": _p_value(
                totals["contactedRebooked"], totals["contacted"], holdout_booked, held
            ),
        },
        "byVariant": by_variant,
    }


def _status_counts(the_plan: Plan, rebooked: set[str]) -> dict[str, int]:
    status: Counter[str] = Counter()
    for patient in the_plan.treated:
        if patient in rebooked:
            status["REBOOKED"] += 1
        elif patient in the_plan.stop:
            status["UNSUBSCRIBED"] += 1
        elif patient in the_plan.click | the_plan.yes | the_plan.free_text:
            status["RESPONDED"] += 1
        elif patient in the_plan.bounce:
            status["BOUNCED"] += 1
        else:
            status["CONTACTED"] += 1
    return {s: status[s] for s in ("PENDING", "CONTACTED", "BOUNCED", "RESPONDED",
                                   "UNSUBSCRIBED", "REBOOKED")}  # fmt: skip


def observed(stats: dict[str, Any]) -> dict[str, Any]:
    """The same figures as `expected_stats`, picked from tracking-svc's answer."""
    keys = ("targeted", "heldOut", "excluded", "roi", "statusCounts", "incentiveCostCents",
            "costCents")  # fmt: skip
    counts = {k: stats.get(k) for k in keys}
    names = ("recipients", "contacted", "sent", "delivered", "failed", "skipped", "responded",
             "interested", "notInterested", "clicked", "replied", "rebooked", "unsubscribed",
             "bounced", "contactedResponded", "contactedRebooked", "messageCostCents",
             "revenueCents", "incentivesRedeemed")  # fmt: skip
    counts.update({k: stats.get(k) for k in names})
    counts["byStep"] = [
        {"sequence": s["sequence"], "due": s["due"], "sent": s["sent"]}
        for s in stats.get("byStep", [])
    ]
    counts["pValue"] = {t["metric"]: t["pValue"] for t in stats.get("abTests", [])}
    lift = stats.get("lift") or {}
    counts["lift"] = {k: lift.get(k) for k in ("heldOut", "holdoutRebooked", "pValue")}
    counts["byVariant"] = {
        row["variant"]: {k: row.get(k) for k in names} for row in stats.get("byVariant", [])
    }
    return counts


def close_enough(expected: Any, seen: Any) -> bool:
    """Equal, with floats (p-values, ROI) to 1e-9: the same formula, maybe another order of
    summation."""
    if isinstance(expected, dict) and isinstance(seen, dict):
        return expected.keys() == seen.keys() and all(
            close_enough(expected[k], seen[k]) for k in expected
        )
    if isinstance(expected, list) and isinstance(seen, list):
        return len(expected) == len(seen) and all(
            close_enough(e, s) for e, s in zip(expected, seen, strict=True)
        )
    if isinstance(expected, float) and isinstance(seen, (int, float)):
        return math.isclose(expected, seen, rel_tol=1e-9, abs_tol=1e-12)
    return bool(expected == seen)


def next_send_slot(after: datetime, send_time_hour: int, zone: Any) -> datetime:
    """The first day's `send_time_hour`:00 in `zone` at or after `after`."""
    local = after.astimezone(zone)
    slot = local.replace(hour=send_time_hour, minute=0, second=0, microsecond=0)
    if slot < local:
        slot += timedelta(days=1)
    return slot
