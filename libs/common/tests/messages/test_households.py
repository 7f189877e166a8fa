"""The `household` merge fields: names joined as the template's language joins a list."""

from reengage_common.messages import household_merge_data, template_problems


def test_names_are_joined_in_the_templates_language() -> None:
    assert household_merge_data(["Emma", "Liam"], "en") == {"names": "Emma and Liam", "size": 2}
    assert household_merge_data(["Emma", "Liam", "Noah"], "es-MX")["names"] == "Emma, Liam y Noah"
    assert household_merge_data(["Emma", "Liam", "Noah"], "en")["names"] == "Emma, Liam, and Noah"


def test_a_member_without_a_first_name_is_counted_but_not_named() -> None:
    assert household_merge_data(["Emma", None, " "], None) == {"names": "Emma", "size": 3}
    assert household_merge_data([None], "en") == {"names": None, "size": 1}


def test_templates_may_use_household_and_nothing_else_of_it() -> None:
    good = '{{ household.names }} {{ "are" if household.size > 1 else "is" }} due'
    assert template_problems(good) == []
    [problem] = template_problems("{{ household.members }}")
    assert "household has names, size" in problem.message
