"""Pure rules of tracking-svc: the recipient fold, figures, A/B test, ROI and lift."""

import random
from datetime import UTC, datetime, timedelta

import pytest
from scipy.stats import norm

from reengage_common.events import Channel, RecipientResponded, ResponseKind
from tracking_svc.domain import facts as f
from tracking_svc.domain.attribution import Contact, attribute
from tracking_svc.domain.facts import Fact, iso, unique_facts
from tracking_svc.domain.intake import response_fact
from tracking_svc.domain.recipients import fold
from tracking_svc.domain.stats import CampaignTerms, campaign_stats, two_proportion_z_test

T0 = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


def at(minutes: int) -> str:
    return iso(T0 + timedelta(minutes=minutes))


def due(patient: str, variant: str = "A", sequence: int = 1, channel: str = "EMAIL") -> Fact:
    m = f"m-{patient}-{sequence}"
    data = {"m": m, "s": sequence, "ch": channel, "v": variant, "fn": "Ada", "ln": "L"}
    return Fact(f.DUE, f"due:{m}", patient, at(0), data)


def sent(patient: str, variant="A", outcome="SENT", cost=100, sequence=1, channel="EMAIL") -> Fact:
    m = f"m-{patient}-{sequence}"
    data = {"m": m, "s": sequence, "ch": channel, "v": variant, "o": outcome, "c": cost}
    return Fact(f.SENT, f"sent:{m}", patient, at(sequence), data)


def response(patient: str, kind: ResponseKind, minutes: int = 60, **extra) -> Fact:
    event = RecipientResponded(
        campaign_id="c-1",
        patient_id=patient,
        kind=kind,
        channel=Channel.SMS,
        at=T0 + timedelta(minutes=minutes),
        **extra,
    )
    return response_fact(event, incentive_code=extra.get("appointment_id") and "SMILE20")


def held(patient: str) -> Fact:
    return Fact(f.HELD, f"held:c-1:{patient}", patient, at(0), {"v": "A"})


def test_status_only_moves_forward_whatever_the_order() -> None:
    facts = [
        due("p1"),
        sent("p1"),
        response("p1", ResponseKind.INTERESTED),
        response("p1", ResponseKind.REBOOKED, appointment_id="a-1", revenue_cents=20000),
        sent("p1", sequence=2),  # a late contact
    ]
    answers = set()
    for seed in range(20):
        shuffled = facts * 2
        random.Random(seed).shuffle(shuffled)
        recipient = fold(unique_facts([x.encode() for x in shuffled])).recipients["p1"]
        answers.add((recipient.status, recipient.response, recipient.contact_attempts))

    assert answers == {("REBOOKED", "REBOOKED", 2)}


@pytest.mark.parametrize(
    ("kinds", "status", "answer"),
    [
        ([], "CONTACTED", "NO_RESPONSE"),
        ([ResponseKind.BOUNCED], "BOUNCED", "NO_RESPONSE"),
        ([ResponseKind.NOT_INTERESTED], "RESPONDED", "NOT_INTERESTED"),
        ([ResponseKind.CLICKED], "RESPONDED", "INTERESTED"),
        ([ResponseKind.INTERESTED, ResponseKind.UNSUBSCRIBED], "UNSUBSCRIBED", "INTERESTED"),
    ],
)
def test_the_status_and_answer_of_each_response(kinds, status, answer) -> None:
    facts = [due("p1"), sent("p1"), *(response("p1", k, 10 + i) for i, k in enumerate(kinds))]

    recipient = fold(facts).recipients["p1"]

    assert (recipient.status, recipient.response) == (status, answer)


def test_p_values_match_scipy_and_only_a_real_difference_wins() -> None:
    def campaign(rebooked_b: int) -> dict:
        facts = []
        for variant, rebooked in (("A", 200), ("B", rebooked_b)):
            for n in range(2000):
                patient = f"{variant}{n}"
                facts += [due(patient, variant), sent(patient, variant, cost=0)]
                if n < rebooked:
                    facts.append(
                        response(patient, ResponseKind.REBOOKED, appointment_id=f"a-{patient}")
                    )
        return campaign_stats("c-1", fold(facts), CampaignTerms(variants=("A", "B")))

    clear, close = campaign(300), campaign(210)

    def scipy_p(x1, x2, n=2000):
        pooled = (x1 + x2) / (2 * n)
        z = (x2 / n - x1 / n) / (pooled * (1 - pooled) * 2 / n) ** 0.5
        return 2 * norm.sf(abs(z))

    rebook_clear = next(c for c in clear["abTests"] if c["metric"] == "rebooked")
    rebook_close = next(c for c in close["abTests"] if c["metric"] == "rebooked")
    assert rebook_clear["pValue"] == pytest.approx(scipy_p(200, 300), rel=1e-9)
    assert rebook_clear["pValue"] < 0.05 and rebook_clear["winner"] == "B"
    assert clear["winner"]["rebooked"] == "B"
    assert rebook_close["pValue"] == pytest.approx(scipy_p(200, 210), rel=1e-9)
    assert rebook_close["pValue"] > 0.05 and rebook_close["winner"] is None
    assert close["winner"]["rebooked"] is None
    assert (rebook_clear["rateA"], rebook_clear["rateB"]) == (0.10, 0.15)


def test_z_test_is_undefined_without_recipients() -> None:
    assert two_proportion_z_test(0, 0, 1, 10) is None


def test_roi_and_lift_on_a_worked_example() -> None:
    # given 10 contacted recipients at 50 cents a message, 2 rebook for $250 each with the
    # $20 incentive code (one of them later cancels), 10 held out of whom 1 books.
    facts = []
    for n in range(10):
        facts += [due(f"p{n}"), sent(f"p{n}", cost=50), held(f"h{n}")]
    for patient, appointment in (("p0", "a-0"), ("p1", "a-1"), ("p2", "a-2")):
        facts.append(
            response(
                patient, ResponseKind.REBOOKED, appointment_id=appointment, revenue_cents=25000
            )
        )
    facts.append(Fact(f.CANCELLED, "cxl:a-2", "p2", at(500), {"a": "a-2"}))
    facts.append(Fact(f.HOLDOUT_BOOKED, "hob:a-9", "h0", at(90), {"a": "a-9", "rev": 25000}))
    terms = CampaignTerms(incentive_code="smile20", incentive_cost_cents=2000)

    stats = campaign_stats("c-1", fold(facts), terms)

    # messages 10 x 50 = 500; incentives: a-0 and a-1 stand (a-2 was cancelled) = 2 x 2000
    assert stats["messageCostCents"] == 500 and stats["incentiveCostCents"] == 4000
    assert stats["costCents"] == 4500
    assert stats["revenueCents"] == 50000  # the cancelled a-2 takes its revenue back
    assert stats["roi"] == pytest.approx((50000 - 4500) / 4500)  # 10.11
    assert stats["rebooked"] == 3 and stats["heldOut"] == 10 and stats["recipients"] == 10
    lift = stats["lift"]
    assert lift["treatedRebookRate"] == pytest.approx(0.3)  # 3 of 10 contacted
    assert lift["holdoutRebookRate"] == pytest.approx(0.1)  # 1 of 10 held out
    assert lift["absoluteLift"] == pytest.approx(0.2)
    assert lift["relativeLift"] == pytest.approx(2.0)
    assert lift["incrementalRebookings"] == pytest.approx(2.0)


def test_before_audience_evaluated_arrives_targeted_and_held_out_do_not_overlap() -> None:
    facts = [due(f"p{n}") for n in range(7)] + [held(f"h{n}") for n in range(3)]

    stats = campaign_stats("c-1", fold(facts), CampaignTerms())

    assert (stats["targeted"], stats["heldOut"]) == (7, 3)


def test_the_latest_campaign_within_the_window_earns_the_booking() -> None:
    window = timedelta(days=30)
    contacts = [
        Contact("c-old", "k", T0 - timedelta(days=40)),
        Contact("c-1", "k", T0 - timedelta(days=10)),
        Contact("c-2", "k", T0 - timedelta(days=3)),
        Contact("c-late", "k", T0 + timedelta(days=1)),
    ]

    chosen = attribute(contacts, T0, window)

    assert chosen is not None and chosen.campaign_id == "c-2" and not chosen.holdout
    assert attribute(contacts[:1], T0, window) is None
    assert attribute([Contact("c-3", "k", T0, holdout=True)], T0, window).holdout
