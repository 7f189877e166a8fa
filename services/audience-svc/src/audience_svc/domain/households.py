"""Households: patients who share the contact a step goes to get one message, naming them.

A parent of three children reads one email "Emma and Liam are due for their check-ups" instead
of two alike on the same morning (the third child, not due, is not named). How it works:

- **Who shares a contact**, per the channel of the step: the same email address (trimmed,
  case-folded) for EMAIL, the same phone number (its digits) for SMS, the same postal address
  *and addressee* for MAIL. A minor's contact is the guardian's (`contact_source`), so siblings
  with one guardian share it, and so does a parent who is a patient too. MAIL also needs the
  same addressee because one letter names everyone in it: two adults who merely live at one
  address (flatmates) keep their own letters, an email or phone number they chose to share
  is theirs to share.
- **One message per household, channel and step**: members are grouped within one variant and
  one step (A/B arms and steps never mix), held-out patients are never named. The message is
  keyed by its lead (the first member by first name, then id), goes to the lead's contact, in
  the lead's time zone and language, and lists every member with their own deterministic
  messageId (`MessageDue.household`), so each is still a recipient of their own.
- **At most `MAX_MEMBERS` names a message**: a contact many patients share (a care home's
  office) gets several messages rather than one naming dozens.

The grouping is decided when a fan-out is built and stored with its plan, so a resumed fan-out
publishes the same messages whatever changed in the projection meanwhile. Dispatch composes
(`household.names`, `household.size`), stops a member who responded or opted out without
stopping the others, and reports each member's outcome; tracking counts each member as a
recipient (issue 22, item 3; README "Households").
"""

import re
from collections.abc import Iterable, Mapping
from typing import Any

from audience_svc.domain.facts import State, contact_source
from audience_svc.domain.targeting import Selected

MAX_MEMBERS = 6
# What each patient of a grouped plan carries: None alone; the other members' ids for a lead;
# the lead's id for a member whose message the lead's carries.
Role = list[str] | str | None

_SPACES = re.compile(r"\s+")
ADDRESS_PARTS = ("line1", "line2", "city", "state", "postalCode", "country")


def _folded(text: Any) -> str:
    return _SPACES.sub(" ", str(text)).strip().casefold() if text else ""


def contact_key(channel: str, profile: dict[str, Any], *, minor: bool) -> str | None:
    """What patients must share to get one message on `channel`; None: nothing to share."""
    source = contact_source(profile, minor=minor)
    if channel == "EMAIL":
        email = _folded(source.get("email"))
        return f"email:{email}" if email else None
    if channel == "SMS":
        digits = "".join(c for c in str(source.get("phone") or "") if c.isdigit())
        return f"sms:{digits}" if digits else None
    address = profile.get("address") or {}
    lines = "|".join(_folded(address.get(part)) for part in ADDRESS_PARTS)
    if not lines.strip("|"):
        return None
    addressee = source.get("name") if minor else _full_name(profile)
    return f"mail:{lines}|{_folded(addressee)}"


def _full_name(profile: dict[str, Any]) -> str:
    return " ".join(p for p in (profile.get("firstName"), profile.get("lastName")) if p)


def _order(patient_id: str, states: Mapping[str, State]) -> tuple[str, str]:
    profile = (states.get(patient_id) or {}).get("p") or {}
    return (_folded(profile.get("firstName")), patient_id)


def households(selected: Iterable[Selected], states: Mapping[str, State]) -> dict[str, Role]:
    """Each grouped patient's role (see `Role`); a patient alone is left out."""
    groups: dict[tuple[str, int, str], list[str]] = {}
    for patient in selected:
        if patient.held_out:
            continue
        profile = (states.get(patient.patient_id) or {}).get("p") or {}
        key = contact_key(patient.step.channel.value, profile, minor=patient.minor)
        if key is not None:
            group = (patient.variant, patient.step.sequence, key)
            groups.setdefault(group, []).append(patient.patient_id)
    roles: dict[str, Role] = {}
    for members in groups.values():
        members.sort(key=lambda pid: _order(pid, states))
        for start in range(0, len(members), MAX_MEMBERS):
            lead, *others = members[start : start + MAX_MEMBERS]
            if not others:
                continue
            roles[lead] = others
            roles.update((other, lead) for other in others)
    return roles


def groups_any(selected: Iterable[Selected], *, group: bool) -> bool:
    """Whether a fan-out (or an estimate of it) groups anyone: not when the campaign turns
    grouping off (`groupHouseholds`), nor with fewer than two patients to send to. Only then
    are the patients' contacts (their states, a read of the whole clinic) needed."""
    return group and sum(not s.held_out for s in selected) >= 2


def messages_by_channel(selected: Iterable[Selected], roles: Mapping[str, Role]) -> dict[str, int]:
    """How many messages step 1 sends on each channel: one per patient sent to, except the
    members a household's lead names (their role is the lead's id). The fan-out publishes
    exactly these, so an estimate counting them says what a launch now would send."""
    counts: dict[str, int] = {}
    for patient in selected:
        if patient.held_out or isinstance(roles.get(patient.patient_id), str):
            continue
        channel = patient.step.channel.value
        counts[channel] = counts.get(channel, 0) + 1
    return counts
