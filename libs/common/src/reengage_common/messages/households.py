"""The `household` merge fields: who one message names.

A household message (audience-svc's `domain/households.py`) goes once to a contact several
patients share, a parent of three children, and names the members who are due: "Emma and
Liam are due for their check-ups". Templates write it once for every message:

    {{ household.names }} {{ "are" if household.size > 1 else "is" }} due for a check-up

`names` are the members' first names joined as the template's language joins a list (babel's
CLDR patterns: "Emma, Liam and Noah", "Emma, Liam y Noah"), members with no first name on file
left out, None when no one has one; `size` counts the members named (1 for a message to one
patient, whose `names` is their own first name). Dispatch fills it in when it composes a
message, the preview from its sample or patient.
"""

from collections.abc import Sequence
from typing import Any

from babel.lists import format_list

from reengage_common.messages.languages import DEFAULT_LANGUAGE, language_of


def household_merge_data(first_names: Sequence[str | None], language: str | None) -> dict[str, Any]:
    """`household` of a message naming patients with these first names (one per member, None
    where the record has none), in the template's `language`."""
    named = [name.strip() for name in first_names if name and name.strip()]
    locale = language_of(language) or DEFAULT_LANGUAGE
    return {
        "names": format_list(named, locale=locale) if named else None,
        "size": max(len(first_names), 1),
    }
