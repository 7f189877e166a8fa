"""The patient fold: any order, any repetition, one state."""

import copy
import itertools
import random

from audience_svc.domain.facts import (
    EMAIL,
    MAIL,
    R_ANCHOR,
    R_BOOKED,
    R_NO_SHOW,
    R_REACH_ADULT,
    R_REACH_MINOR,
    R_UNSUBSCRIBED,
    SMS,
    apply,
    fold,
    targeting_row,
    with_contacts,
)

PROFILE = {
    "firstName": "Ada",
    "email": "ada@example.com",
    "phone": "+15550000001",
    "address": {"line1": "1 Main St", "city": "Springfield"},
    "consents": {"email": True, "sms": None, "mail": None},
    "createdAt": "2019-01-01T00:00:00Z",
    "birthDate": "2015-05-01",
    "guardian": {"name": "Grace", "email": "grace@example.com"},
}
FACTS = [
    {"k": "p", "pid": "p", "t": 10.0, "i": "e1", "d": {**PROFILE, "treatmentStage": "OLD"}},
    {"k": "p", "pid": "p", "t": 20.0, "i": "e2", "d": {**PROFILE, "treatmentStage": "NEW"}},
    {"k": "a", "pid": "p", "t": 11.0, "i": "e3", "ap": "a1", "st": "BOOKED", "s": 100.0},
    {"k": "a", "pid": "p", "t": 12.0, "i": "e4", "ap": "a1", "st": "COMPLETED", "s": 100.0},
    {"k": "a", "pid": "p", "t": 13.0, "i": "e5", "ap": "a2", "st": "NO_SHOW", "s": 200.0},
    {"k": "a", "pid": "p", "t": 14.0, "i": "e6", "ap": "a3", "st": "BOOKED", "s": 900.0},
    {"k": "s", "pid": "p", "t": 15.0, "c": "c1"},
    {"k": "u", "pid": "p", "t": 16.0, "ch": "SMS"},
    {"k": "g", "pids": ["p", "q"], "t": 17.0, "c": "c2"},
]


def folded(facts):
    states = {}
    fold(states, facts)
    return states


def test_every_order_and_repetition_folds_to_the_same_state() -> None:
    expected = folded(FACTS)
    chance = random.Random(3)
    for _ in range(200):
        shuffled = FACTS + chance.sample(FACTS, 4)
        chance.shuffle(shuffled)
        assert folded(shuffled) == expected


def test_a_fold_in_two_halves_equals_one_fold() -> None:
    for cut in range(len(FACTS)):
        states = folded(FACTS[:cut])
        fold(states, FACTS[cut:])
        assert states == folded(FACTS)


def test_the_row_holds_what_targeting_needs() -> None:
    state = folded(FACTS)["p"]
    row = targeting_row(state)

    assert state["p"]["treatmentStage"] == "NEW"
    assert row[R_ANCHOR] == 100.0  # the completed visit, not the no-show
    assert row[R_BOOKED] == 900.0
    assert row[R_NO_SHOW] is True
    assert row[R_UNSUBSCRIBED] == SMS
    assert row[R_REACH_ADULT] == EMAIL | MAIL  # SMS unset is no consent, and unsubscribed
    assert row[R_REACH_MINOR] == EMAIL | MAIL  # the guardian has an email, no phone


def test_a_patient_known_only_by_appointments_has_no_row_yet() -> None:
    assert targeting_row(folded(FACTS[2:4])["p"]) is None
    assert list(itertools.islice(folded(FACTS).keys(), 2)) == ["p", "q"]


def test_contact_facts_applied_to_a_row_give_the_row_of_the_folded_state() -> None:

    state = {
        "id": "p-1",
        "p": {"firstName": "Ada", "email": "a@example.com", "createdAt": "2019-03-01T10:00:00Z"},
        "pt": [1.0, "e-1"],
        "a": {},
        "c": 50.0,
        "g": {"old": 50.0, "c-1": 90.0},
        "u": {},
    }
    contacts = [
        {"k": "g", "c": "c-1", "t": 80.0, "pids": ["p-1"]},  # older than what the row holds
        {"k": "s", "pid": "p-1", "t": 120.0, "c": "c-1"},
        {"k": "s", "pid": "p-1", "t": 100.0, "c": "c-2"},
        {"k": "g", "c": "c-3", "t": 130.0, "pids": ["p-1", "p-2"]},
    ]
    row = targeting_row(copy.deepcopy(state))
    assert row is not None
    as_stored = copy.deepcopy(row)

    patched = with_contacts(tuple(row), contacts)
    for fact in contacts:
        apply(state, fact)

    assert patched == targeting_row(state)
    assert row == as_stored  # the stored row (a cached shard's) is left as it was
