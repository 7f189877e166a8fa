"""Targeting rules, reasons and assignment, without servers."""

from collections import Counter

from audience_rows import targeting_row_of

from audience_svc.domain.facts import fold, targeting_row
from audience_svc.domain.targeting import (
    DAY,
    Audience,
    evaluate,
    is_held_out,
    variant_for,
    with_targeted,
)
from reengage_common.events import MessageTemplate, Targeting, Variant

NOW = 1_800_000_000.0
EMAIL_STEP = MessageTemplate(channel="EMAIL", subject="s", body="b", sequence=1)


def row(patient_id: str, visit_days_ago: float, **profile: object) -> list:
    return targeting_row_of(patient_id, NOW - visit_days_ago * DAY, **profile)


def audience(**changes) -> Audience:
    base = {
        "campaign_id": "c",
        "targeting": Targeting(inactive_days=180),
        "channels": ("EMAIL",),
        "steps": (EMAIL_STEP,),
    }
    return Audience(**{**base, **changes})


def test_inactive_days_is_inclusive_at_the_boundary() -> None:
    result = evaluate(audience(), [row("in", 180), row("out", 180 - 1 / 1440)], NOW)

    assert [s.patient_id for s in result.selected] == ["in"]
    assert result.excluded == {"VISITED_RECENTLY": 1}


def test_the_first_reason_wins_and_counts_add_up() -> None:
    rows = [
        row("dead-and-dnc", 400, deceased=True, doNotContact=True),
        row("dnc", 10, doNotContact=True),
    ]

    result = evaluate(audience(), rows, NOW)

    assert result.excluded == {"DECEASED": 1, "DO_NOT_CONTACT": 1}
    assert result.patients == 2


def test_assignment_is_deterministic_and_follows_weights() -> None:
    variants = [Variant(name="A", weight=1), Variant(name="B", weight=3)]
    ids = [f"p-{n}" for n in range(20_000)]

    first = [variant_for("c", p, variants) for p in ids]
    again = [variant_for("c", p, variants) for p in ids]
    held = sum(is_held_out("c", p, 20) for p in ids)

    assert first == again
    assert abs(Counter(first)["B"] / len(ids) - 0.75) < 0.02
    assert abs(held / len(ids) - 0.20) < 0.01
    assert [variant_for("other", p, variants) for p in ids] != first


def test_an_estimate_counts_the_same_without_keeping_the_selection() -> None:
    rows = [row(f"p{n}", 170 + n) for n in range(40)]
    split = audience(
        variants=(Variant(name="A", weight=1), Variant(name="B", weight=1)), holdout_percent=20
    )
    kept, counted = evaluate(split, rows, NOW), evaluate(split, rows, NOW, keep=False)
    assert counted.selected == []
    assert (counted.total, counted.held_out, counted.excluded, counted.by_channel) == (
        len(kept.selected),
        sum(s.held_out for s in kept.selected),
        kept.excluded,
        kept.by_channel,
    )
    assert kept.patients == counted.patients == 40


def never_visited(patient_id: str, **profile) -> list:
    """A patient created long ago who never completed a visit: no lastVisitDate to merge."""
    states = {}
    fact = {
        "k": "p",
        "pid": patient_id,
        "t": 1.0,
        "i": "e",
        "d": {"email": "x@example.com", "createdAt": "2019-01-01T00:00:00Z", **profile},
    }
    fold(states, [fact])
    return targeting_row(states[patient_id])


def test_the_estimate_counts_the_targeted_patients_lacking_each_merge_field() -> None:
    rows = [
        row("seen", 400, firstName="Ada", lastName="L", treatmentStage="RETENTION"),
        never_visited("new", firstName="Bo", lastName=" ", treatmentStage="RETENTION"),
        never_visited("anonymous"),
        row("recent", 10),  # not targeted: its gaps are not counted
    ]
    fields = ("patient.lastVisitDate", "patient.firstName", "patient.lastName", "clinic.phone")

    result = evaluate(audience(merge_fields=fields), rows, NOW, keep=False)

    assert result.missing == {
        "patient.lastVisitDate": 2,
        "patient.firstName": 1,
        "patient.lastName": 2,
    }


def test_held_out_patients_get_no_message_so_their_gaps_do_not_count() -> None:
    rows = [never_visited(f"p-{n}") for n in range(200)]
    chosen = audience(holdout_percent=50, merge_fields=("patient.lastVisitDate",))

    result = evaluate(chosen, rows, NOW, keep=False)

    assert 0 < result.held_out < 200
    assert result.missing == {"patient.lastVisitDate": result.targeted}


def test_reach_counts_every_channel_a_selected_patient_can_receive() -> None:
    # given three selected patients: email only, email and SMS (consented), SMS only
    rows = [
        row("email-only", 400),
        row("both", 400, phone="+15125550101", consents={"sms": True}),
        row("sms-only", 400, email=None, phone="+15125550102", consents={"sms": True}),
    ]
    sms_step = MessageTemplate(channel="SMS", body="b", sequence=2)
    campaign = audience(channels=("EMAIL", "SMS"), steps=(EMAIL_STEP, sms_step))

    result = evaluate(campaign, rows, NOW, keep=False)

    # step 1 is email where it can be, so by_channel counts SMS once; reach counts it twice
    assert result.by_channel == Counter({"EMAIL": 2, "SMS": 1})
    assert result.reach == Counter({"EMAIL": 2, "SMS": 2})


def test_patients_of_another_campaigns_unfinished_plan_count_as_targeted_by_it() -> None:
    rows = [row("busy", 400), row("free", 400), row("own", 400)]
    in_flight = {"busy": {"other": NOW - DAY}, "own": {"c": NOW - DAY}}

    launch = evaluate(audience(), with_targeted(rows, in_flight), NOW)
    daily = evaluate(audience(enrolling_daily=True), with_targeted(rows, in_flight), NOW)

    assert [s.patient_id for s in launch.selected] == ["free", "own"]
    assert launch.excluded == {"TARGETED_BY_OTHER_CAMPAIGN": 1}
    assert [s.patient_id for s in daily.selected] == ["free"]
    assert daily.excluded == {"TARGETED_BY_OTHER_CAMPAIGN": 1, "ALREADY_ENROLLED": 1}
