"""Snapshots, pure: facts folded into a snapshot in any chunks, any order, any number of times
give the very figures and recipients of one full fold of their union."""

import json
import random
from datetime import UTC, datetime, timedelta

from reengage_common.events import Channel, RecipientResponded, ResponseKind
from tracking_svc.domain import facts as f
from tracking_svc.domain.facts import Fact, iso, unique_facts
from tracking_svc.domain.intake import response_fact
from tracking_svc.domain.recipients import fold
from tracking_svc.domain.snapshot import (
    Shard,
    State,
    facts_of,
    fold_new,
    recipient_of,
    split_new,
)
from tracking_svc.domain.stats import CampaignTerms, campaign_stats, figures

T0 = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


def at(minutes: int) -> str:
    return iso(T0 + timedelta(minutes=minutes))


def due(patient: str, variant: str, sequence: int, channel: str) -> Fact:
    m = f"m-{patient}-{sequence}"
    data = {"m": m, "s": sequence, "ch": channel, "v": variant, "fn": "Ada", "ln": "L"}
    return Fact(f.DUE, f"due:{m}", patient, at(0), data)


def sent(patient: str, variant: str, outcome: str, cost: int, sequence: int, channel: str) -> Fact:
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


TERMS = CampaignTerms(incentive_code=" smile20 ", incentive_cost_cents=500, variants=("A", "B"))


def campaign(rng: random.Random, patients: int) -> list[str]:
    """Every fact kind: holdouts, two steps, outcomes, responses, rebookings, cancellations."""
    out: list[Fact] = [
        Fact(f.EVALUATED, "eval:c-1:1:x", "", at(0), {"targeted": patients, "heldOut": 9})
    ]
    for n in range(patients):
        p, v = f"p{n}", rng.choice("AB")
        if rng.random() < 0.1:
            out.append(held(p))
            continue
        for sequence, channel in ((1, "EMAIL"), (2, "SMS")):
            if rng.random() < 0.8:
                out.append(due(p, v, sequence, channel))
            if rng.random() < 0.7:
                outcome = rng.choice(["SENT", "SENT", "FAILED", "SKIPPED"])
                out.append(sent(p, v, outcome, rng.randint(0, 50), sequence, channel))
        for kind in rng.sample(list(ResponseKind.__members__.values()), k=rng.randint(0, 2)):
            if kind is ResponseKind.REBOOKED:
                revenue = rng.randint(0, 30000)
                out.append(response(p, kind, appointment_id=f"a-{p}", revenue_cents=revenue))
                if rng.random() < 0.3:
                    out.append(Fact(f.CANCELLED, f"cxl:a-{p}", p, at(900), {"a": f"a-{p}"}))
            else:
                out.append(response(p, kind, minutes=rng.randint(1, 500)))
        if rng.random() < 0.05:
            out.append(Fact(f.REPLY, f"reply:{p}", p, at(70), {"text": "maybe\tlater"}))
    return [fact.encode() for fact in out]


def snapshot_of(stream: list[str], rng: random.Random) -> tuple[State, dict[int, Shard]]:
    state, shards = State(), {}
    while stream:
        size = rng.randint(1, 120)
        chunk, stream = stream[:size], stream[size:]
        folded = fold_new(state, shards, split_new(chunk))
        state = folded.state
        # each round's shards go through their stored form, as the compactor writes them
        shards.update({n: Shard.decode(s.encode()) for n, s in folded.changed.items()})
    return state, shards


def as_json(value: object) -> object:
    return json.loads(json.dumps(value))


def test_a_snapshot_of_duplicated_shuffled_chunks_gives_the_full_folds_figures_and_recipients():
    for seed in range(4):
        rng = random.Random(seed)
        facts = campaign(rng, 250)
        full = fold(unique_facts(facts))
        expected = as_json(campaign_stats("c-1", full, TERMS))
        stream = facts + rng.sample(facts, len(facts) // 3)
        rng.shuffle(stream)
        state, shards = snapshot_of(stream, rng)
        assert as_json(figures("c-1", state.tally, state.evaluations(), TERMS)) == expected
        recipients = {
            pid: recipient.to_json()
            for shard in shards.values()
            for pid, entry in shard.entries.items()
            if (recipient := recipient_of(facts_of(entry))) is not None
        }
        assert recipients == {pid: r.to_json() for pid, r in full.recipients.items()}


def test_unfolded_facts_over_a_snapshot_give_what_folding_them_in_gives():
    rng = random.Random(3)
    facts = campaign(rng, 200)
    state, shards = snapshot_of(facts[:300], rng)
    # a reader: the snapshot plus the rest (with some already folded, as when a compactor
    # stored a generation but had not deleted its pages yet)
    unfolded = facts[250:]
    seen = fold_new(state, shards, split_new(unfolded)).state
    expected = as_json(campaign_stats("c-1", fold(unique_facts(facts)), TERMS))
    assert as_json(figures("c-1", seen.tally, seen.evaluations(), TERMS)) == expected


def test_folding_facts_already_in_the_snapshot_changes_nothing():
    rng = random.Random(5)
    facts = campaign(rng, 100)
    state, shards = snapshot_of(list(facts), rng)
    again = fold_new(state, shards, split_new(rng.sample(facts, 80)))
    assert again.changed == {} and again.patients == 0
    assert +again.state.tally == +state.tally
    assert State.decode(as_json(state.encode())).tally == +state.tally
