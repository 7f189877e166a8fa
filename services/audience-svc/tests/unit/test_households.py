"""Who shares a contact gets one message per channel and step (domain/households.py)."""

from typing import Any

from audience_svc.domain.households import (
    MAX_MEMBERS,
    contact_key,
    groups_any,
    households,
    messages_by_channel,
)
from audience_svc.domain.targeting import Selected
from reengage_common.events import MessageTemplate

EMAIL = MessageTemplate(channel="EMAIL", subject="s", body="b", sequence=1)
SMS = MessageTemplate(channel="SMS", body="b", sequence=1)
MAIL = MessageTemplate(channel="MAIL", body="b", sequence=1)
GUARDIAN = {"name": "Grace Hopper", "email": "Grace@Example.com ", "phone": "+1 (555) 123-0001"}
HOME = {"line1": "1 Main St", "city": "Springfield", "postalCode": "62701", "country": "US"}


def child(first: str, **profile: Any) -> dict[str, Any]:
    return {"p": {"firstName": first, "guardian": GUARDIAN, "address": HOME, **profile}}


def chosen(pid: str, step: MessageTemplate = EMAIL, **changes: Any) -> Selected:
    values = {"variant": "A", "step": step, "held_out": False, "minor": True} | changes
    return Selected(pid, values["variant"], values["step"], values["held_out"], values["minor"])


def test_siblings_with_one_guardian_share_one_message_led_by_the_first_name() -> None:
    states = {"p-3": child("Noah"), "p-1": child("Liam"), "p-2": child("Emma")}
    roles = households([chosen("p-1"), chosen("p-2"), chosen("p-3")], states)
    assert roles == {"p-2": ["p-1", "p-3"], "p-1": "p-2", "p-3": "p-2"}


def test_a_parent_who_is_a_patient_shares_the_childs_contact() -> None:
    parent = {"p": {"firstName": "Grace", "lastName": "Hopper", "email": "grace@example.com"}}
    roles = households(
        [chosen("p-1"), chosen("p-9", minor=False)], {"p-1": child("Liam"), "p-9": parent}
    )
    assert roles == {"p-9": ["p-1"], "p-1": "p-9"}


def test_held_out_patients_other_variants_and_steps_are_never_named() -> None:
    states = {pid: child(pid) for pid in ("a", "b", "c", "d")}
    second = MessageTemplate(channel="EMAIL", body="b", sequence=2)
    selection = [
        chosen("a"),
        chosen("b", held_out=True),
        chosen("c", variant="B"),
        chosen("d", step=second),
    ]
    assert households(selection, states) == {}


def test_keys_per_channel() -> None:
    kid = child("Liam")["p"]
    assert contact_key("EMAIL", kid, minor=True) == "email:grace@example.com"
    assert contact_key("SMS", kid, minor=True) == "sms:15551230001"
    assert contact_key("MAIL", kid, minor=True) == (
        "mail:1 main st||springfield||62701|us|grace hopper"
    )
    assert contact_key("EMAIL", {"firstName": "Ada"}, minor=False) is None
    # adults at one address keep their own letters: one letter names everyone in it
    ada = {"firstName": "Ada", "lastName": "King", "address": HOME}
    bob = {"firstName": "Bob", "lastName": "Ray", "address": HOME}
    assert contact_key("MAIL", ada, minor=False) != contact_key("MAIL", bob, minor=False)


def test_a_contact_shared_by_many_gets_a_message_per_six() -> None:
    pids = [f"p-{n:02d}" for n in range(MAX_MEMBERS + 2)]
    states = {pid: child(pid) for pid in pids}
    roles = households([chosen(pid, step=SMS) for pid in pids], states)
    leads = [pid for pid, role in roles.items() if isinstance(role, list)]
    assert leads == ["p-00", "p-06"]
    assert roles["p-00"] == pids[1:MAX_MEMBERS]
    assert roles["p-06"] == ["p-07"]


def test_messages_count_a_household_once_and_nobody_held_out() -> None:
    states = {"p-1": child("Liam"), "p-2": child("Emma"), "p-3": child("Noah")}
    selection = [
        chosen("p-1"),
        chosen("p-2"),
        chosen("p-3", held_out=True),
        chosen("p-4", step=SMS, minor=False),
    ]
    roles = households(selection, {**states, "p-4": {"p": {"firstName": "Ada"}}})

    assert messages_by_channel(selection, roles) == {"EMAIL": 1, "SMS": 1}
    assert messages_by_channel(selection, {}) == {"EMAIL": 2, "SMS": 1}


def test_grouping_needs_the_setting_and_two_patients_to_send_to() -> None:
    two = [chosen("p-1"), chosen("p-2")]

    assert groups_any(two, group=True)
    assert not groups_any(two, group=False)
    assert not groups_any([chosen("p-1"), chosen("p-2", held_out=True)], group=True)
