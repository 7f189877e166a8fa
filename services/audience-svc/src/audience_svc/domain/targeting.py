"""Who a campaign reaches: every targeting rule, one exclusion reason per patient, assignment.

A patient excluded by several rules is counted once, under the first reason that applies, in
this order (`REASONS`): hard stops first (deceased, do-not-contact, unsubscribed), then the
campaign's targeting in the order a clinic writes it, then the cross-campaign rules, and last
reachability, which depends on the channels of the patient's variant.

Boundaries, in whole days of 24 hours before `now`:
- inactive when the last completed visit (or `createdAt` if none) is at least `inactiveDays` ago;
- recently contacted when the last sent message is less than `excludeContactDays` ago;
- targeted by another campaign when that was less than 30 days ago.
With a recall criterion (`targeting.recall`), a patient whose recall due date lies outside it
is excluded as not due yet (or not overdue enough) or as overdue too long; due dates, the
window and the estimate's buckets of the selected patients: `recall`.

Assignment is a pure function of campaign id and patient id (two independent hashes): holdout
first (`holdoutPercent`), then a variant by weight. A re-run assigns identically.

With `merge_fields`, the same pass counts the targeted patients (held-out ones get nothing)
whose messages would lack each patient merge field, and so show its fallback.
"""

import hashlib
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from audience_svc.domain.facts import (
    CHANNEL_BITS,
    PATIENT_FIELD_BITS,
    R_ADULT_FROM,
    R_ANCHOR,
    R_BOOKED,
    R_CONTACTED,
    R_DECEASED,
    R_DNC,
    R_DROPOUT,
    R_GAPS,
    R_ID,
    R_NO_SHOW,
    R_REACH_ADULT,
    R_REACH_MINOR,
    R_RECALL_DUE,
    R_STAGE,
    R_TARGETED,
    R_UNSUBSCRIBED,
)
from audience_svc.domain.recall import BUCKETS, RecallWindow, bucket_counts
from reengage_common.events import MessageTemplate, Targeting, Variant

DAY = 86_400.0
CROSS_CAMPAIGN_DAYS = 30

DECEASED = "DECEASED"
DO_NOT_CONTACT = "DO_NOT_CONTACT"
UNSUBSCRIBED = "UNSUBSCRIBED"
VISITED_RECENTLY = "VISITED_RECENTLY"
RECALL_NOT_DUE = "RECALL_NOT_DUE"
RECALL_OVERDUE_TOO_LONG = "RECALL_OVERDUE_TOO_LONG"
UPCOMING_APPOINTMENT = "UPCOMING_APPOINTMENT"
TREATMENT_STAGE = "TREATMENT_STAGE"
NO_SHOW = "NO_SHOW"
DROPOUT = "DROPOUT"
CONTACTED_RECENTLY = "CONTACTED_RECENTLY"
TARGETED_BY_OTHER_CAMPAIGN = "TARGETED_BY_OTHER_CAMPAIGN"
ALREADY_ENROLLED = "ALREADY_ENROLLED"
NO_REACHABLE_CHANNEL = "NO_REACHABLE_CHANNEL"
REASONS = (
    DECEASED,
    DO_NOT_CONTACT,
    UNSUBSCRIBED,
    VISITED_RECENTLY,
    RECALL_NOT_DUE,
    RECALL_OVERDUE_TOO_LONG,
    UPCOMING_APPOINTMENT,
    TREATMENT_STAGE,
    NO_SHOW,
    DROPOUT,
    CONTACTED_RECENTLY,
    TARGETED_BY_OTHER_CAMPAIGN,
    ALREADY_ENROLLED,
    NO_REACHABLE_CHANNEL,
)


@dataclass(frozen=True)
class Audience:
    """What a campaign targets with: the rules, and the steps each variant sends."""

    campaign_id: str
    targeting: Targeting
    channels: tuple[str, ...]
    steps: tuple[MessageTemplate, ...]
    variants: tuple[Variant, ...] = (Variant(name="A", weight=1),)
    holdout_percent: float = 0.0
    # Daily enrolment: patients this campaign already targeted are not enrolled again.
    enrolling_daily: bool = False
    # Merge fields whose gaps to count (only a patient's own fields can be missing for one).
    merge_fields: tuple[str, ...] = ()

    def steps_of(self, variant: str) -> list[MessageTemplate]:
        own = sorted((s for s in self.steps if s.variant == variant), key=lambda s: s.sequence)
        return own or sorted(self.steps, key=lambda s: s.sequence)


class Selected(NamedTuple):
    """One patient the campaign reaches: variant, the first step they can receive, holdout."""

    patient_id: str
    variant: str
    step: MessageTemplate
    held_out: bool
    minor: bool


@dataclass
class Evaluation:
    """Who is selected (`selected` only when kept: an estimate needs the counts alone)."""

    selected: list[Selected] = field(default_factory=list)
    excluded: Counter[str] = field(default_factory=Counter)
    by_channel: Counter[str] = field(default_factory=Counter)
    # Selected patients each of the campaign's channels can reach (contact and consent), whatever
    # their step 1's channel: "SMS reaches 1,102 of 1,284".
    reach: Counter[str] = field(default_factory=Counter)
    total: int = 0
    held_out: int = 0
    # Targeted patients lacking each counted patient merge field.
    missing: dict[str, int] = field(default_factory=dict)
    # Selected patients by how overdue their recall is (`recall.BUCKETS`).
    recall: dict[str, int] = field(default_factory=dict)

    @property
    def patients(self) -> int:
        return self.total + sum(self.excluded.values())

    @property
    def targeted(self) -> int:
        return self.total - self.held_out


def _unit(campaign_id: str, patient_id: str, purpose: str) -> float:
    digest = hashlib.blake2b(
        f"{purpose}/{campaign_id}/{patient_id}".encode(), digest_size=8
    ).digest()
    return int.from_bytes(digest, "big") / 2**64


def is_held_out(campaign_id: str, patient_id: str, holdout_percent: float) -> bool:
    return holdout_percent > 0 and _unit(campaign_id, patient_id, "holdout") * 100 < holdout_percent


def variant_for(campaign_id: str, patient_id: str, variants: Sequence[Variant]) -> str:
    total = sum(v.weight for v in variants)
    point = _unit(campaign_id, patient_id, "variant") * total
    for variant in variants:
        point -= variant.weight
        if point < 0:
            return variant.name
    return variants[-1].name


def evaluate(
    audience: Audience, rows: Iterable[Sequence[Any]], now: float, *, keep: bool = True
) -> Evaluation:
    """Every row either selected or excluded by exactly one reason (their sum: the patients).
    With `keep=False` only the counts are made (an estimate)."""
    rules = audience.targeting
    inactive_before = now - rules.inactive_days * DAY
    contacted_since = now - rules.exclude_contact_days * DAY
    other_since = now - CROSS_CAMPAIGN_DAYS * DAY
    stages = frozenset(rules.treatment_stages)
    window = RecallWindow.of(now, rules.recall)
    by_recall, recall_edges = rules.recall is not None, window.edges
    due_before, due_from = window.due_before, window.due_from
    recall_counts = [0] * len(BUCKETS)  # by bucket index: one increment per patient
    campaign_mask = sum(CHANNEL_BITS[c] for c in audience.channels)
    # Step 1 of a variant for each set of reachable channels (a 3-bit mask): one lookup per
    # patient instead of a search through the steps.
    first_step: dict[str, list[MessageTemplate | None]] = {}
    for v in audience.variants:
        steps = [(CHANNEL_BITS[s.channel.value], s) for s in audience.steps_of(v.name)]
        first_step[v.name] = [
            next((s for bit, s in steps if reach & bit), None) for reach in range(8)
        ]
    only_variant = audience.variants[0].name if len(audience.variants) == 1 else None
    only_steps = first_step[only_variant] if only_variant else None
    campaign_id = audience.campaign_id
    holdout = audience.holdout_percent
    include_no_shows, include_dropouts = rules.include_no_shows, rules.include_dropouts
    exclude_recent_contact, enrolling_daily = rules.exclude_recent_contact, audience.enrolling_daily
    result = Evaluation()
    excluded = result.excluded
    selected = result.selected
    channel_counts: Counter[Any] = Counter()
    reach_counts: Counter[int] = Counter()  # by reachable-channel mask: one increment per patient
    counted_fields = [f for f in audience.merge_fields if f in PATIENT_FIELD_BITS]
    gap_bits = sum(PATIENT_FIELD_BITS[f] for f in set(counted_fields))
    # Keyed by the combination of fields lacking: a handful of keys, one increment per patient.
    gap_counts: Counter[int] = Counter()
    total = held_out = 0
    for row in rows:
        if row[R_DECEASED]:
            excluded[DECEASED] += 1
        elif row[R_DNC]:
            excluded[DO_NOT_CONTACT] += 1
        elif campaign_mask & ~row[R_UNSUBSCRIBED] == 0:
            excluded[UNSUBSCRIBED] += 1
        elif row[R_ANCHOR] > inactive_before:
            excluded[VISITED_RECENTLY] += 1
        elif by_recall and row[R_RECALL_DUE] >= due_before:
            excluded[RECALL_NOT_DUE] += 1
        elif by_recall and row[R_RECALL_DUE] < due_from:
            excluded[RECALL_OVERDUE_TOO_LONG] += 1
        elif row[R_BOOKED] is not None and row[R_BOOKED] > now:
            excluded[UPCOMING_APPOINTMENT] += 1
        elif stages and row[R_STAGE] not in stages:
            excluded[TREATMENT_STAGE] += 1
        elif row[R_NO_SHOW] and not include_no_shows:
            excluded[NO_SHOW] += 1
        elif row[R_DROPOUT] and not include_dropouts:
            excluded[DROPOUT] += 1
        elif (
            exclude_recent_contact
            and row[R_CONTACTED] is not None
            and row[R_CONTACTED] > contacted_since
        ):
            excluded[CONTACTED_RECENTLY] += 1
        else:
            targeted = row[R_TARGETED]
            if targeted and any(
                at > other_since for cid, at in targeted.items() if cid != campaign_id
            ):
                excluded[TARGETED_BY_OTHER_CAMPAIGN] += 1
                continue
            if enrolling_daily and targeted and campaign_id in targeted:
                excluded[ALREADY_ENROLLED] += 1
                continue
            patient_id = row[R_ID]
            adult_from = row[R_ADULT_FROM]
            minor = adult_from is not None and now < adult_from
            reach = row[R_REACH_MINOR] if minor else row[R_REACH_ADULT]
            if only_steps is not None:
                variant, step = only_variant, only_steps[reach]
            else:
                variant = variant_for(campaign_id, patient_id, audience.variants)
                step = first_step[variant][reach]
            if step is None:
                excluded[NO_REACHABLE_CHANNEL] += 1
                continue
            held = holdout > 0 and is_held_out(campaign_id, patient_id, holdout)
            total += 1
            held_out += held
            channel_counts[step.channel] += 1
            reach_counts[reach] += 1
            recall_counts[bisect_left(recall_edges, row[R_RECALL_DUE])] += 1
            if gap_bits and not held and (lacking := row[R_GAPS] & gap_bits):
                gap_counts[lacking] += 1
            if keep:
                selected.append(Selected(patient_id, variant, step, held, minor))
    result.total, result.held_out = total, held_out
    for channel, count in channel_counts.items():
        result.by_channel[channel.value] += count
    for channel in audience.channels:
        bit = CHANNEL_BITS[channel]
        result.reach[channel] = sum(n for mask, n in reach_counts.items() if mask & bit)
    result.recall = bucket_counts(recall_counts)
    result.missing = {
        name: sum(n for lacking, n in gap_counts.items() if lacking & PATIENT_FIELD_BITS[name])
        for name in counted_fields
    }
    return result


def with_targeted(
    rows: Iterable[Sequence[Any]], also: Mapping[str, Mapping[str, float]]
) -> Iterator[Sequence[Any]]:
    """The rows with `also` ({patient: {campaign: at}}) added to who targeted each patient:
    the patients of plans whose "targeted" facts are not stored yet (`clinic_turns`)."""
    if not also:
        yield from rows
        return
    for row in rows:
        extra = also.get(row[R_ID])
        if extra is None:
            yield row
        else:
            targeted = {**(row[R_TARGETED] or {}), **extra}
            yield (*row[:R_TARGETED], targeted, *row[R_TARGETED + 1 :])
