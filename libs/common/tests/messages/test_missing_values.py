"""Real patients have gaps: every filter takes a missing value, and `default` sets the words."""

from datetime import datetime
from typing import Any

import pytest

from reengage_common.messages.templates import FILTERS, compile_template

# What message.due carries for a patient who never completed a visit and gave no names.
SPARSE = {"patient": {"firstName": None, "lastName": "", "lastVisitDate": None}}


def render(source: str, now: datetime, merge_data: dict[str, Any] = SPARSE) -> str:
    return compile_template(source).render(merge_data, now=now)


def test_ago_of_a_missing_date_says_a_while_ago(now: datetime) -> None:
    source = "Your last visit was {{ patient.lastVisitDate | ago }}."

    assert render(source, now) == "Your last visit was a while ago."


@pytest.mark.parametrize(
    "source",
    [
        "{{ patient.lastVisitDate | ago | default('some time ago') }}",
        "{{ patient.lastVisitDate | default('some time ago') }}",
        "{{ patient.lastVisitDate | d('some time ago') }}",
    ],
)
def test_a_template_sets_its_own_words_for_a_missing_value(source: str, now: datetime) -> None:
    assert render(source, now) == "some time ago"


def test_a_default_leaves_a_known_value_alone(now: datetime) -> None:
    merge_data = {"patient": {"lastVisitDate": "2025-06-15", "firstName": "Ada"}}

    assert render("{{ patient.lastVisitDate | ago | d('x') }}", now, merge_data) == "1 year ago"
    assert render("{{ patient.firstName | default('there') }}", now, merge_data) == "Ada"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("Hi {{ patient.firstName | default('there') }}", "Hi there"),
        ("Hi {{ patient.lastName | default('there') }}", "Hi there"),  # blank is missing too
        ("Hi {{ patient.firstName | title | default('there') }}", "Hi there"),
        ("Seen {{ patient.lastVisitDate | date | default('before') }}", "Seen before"),
        ("{{ patient.lastVisitDate | ago | capitalize }}", "A while ago"),
        ("{% if patient.lastVisitDate | ago %}seen{% else %}new{% endif %}", "new"),
    ],
)
def test_a_missing_value_stays_missing_through_a_chain_of_filters(
    source: str, expected: str, now: datetime
) -> None:
    assert render(source, now) == expected


@pytest.mark.parametrize("name", sorted(FILTERS - {"default", "d", "ago"}))
@pytest.mark.parametrize("missing", [None, "", "  "])
def test_every_filter_gives_nothing_for_a_missing_value(
    name: str, missing: str | None, now: datetime
) -> None:
    merge_data = {"patient": {"firstName": missing}}

    assert render(f"[{{{{ patient.firstName | {name} }}}}]", now, merge_data) == "[]"
