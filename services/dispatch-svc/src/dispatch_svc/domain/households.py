"""A household message: one send to a contact several patients share, each still on their own.

audience-svc groups patients who share the contact of a step's channel (its
`domain/households.py`) into one `message.due` that lists the members, each with their own
messageId. Here, without I/O:

- **Each member is checked on their own** just before the send (`checked`): a member who
  responded, rebooked, unsubscribed or whose consent was withdrawn is marked skipped with their
  reason and is no longer named; the message still goes to the others. Only when no one is
  left is the message skipped. An unsubscribe from a household message is every member's
  (tracking-svc answers it for each), so one contact's "stop" stops them all.
- **What the message says** (`named`, `household_merge_data` in compose): the first names of
  the members still named, joined in the template's language.
- **Each member's outcome** (`member_outcomes`): one `message.sent` per member under their own
  messageId and patient, the named ones with the send's outcome and provider ids (its cost on
  the first, so a campaign's cost counts the one send once), the skipped ones SKIPPED with
  their reason; so tracking's stats stay per patient.
- **The next step** (`next_household`) names the members still named; its lead is the first of
  them, whose own patient merge data it carries, and one member left gets a message of their
  own.
"""

from typing import Any

import msgspec

from dispatch_svc.domain.decisions import ResponsesAndConsents
from dispatch_svc.domain.messages import QueuedMessage
from reengage_common.events import message_id

SKIPPED = "skipped"  # a member's key: why they are not named (in memory only, never stored)


def named(message: QueuedMessage) -> list[dict[str, Any]]:
    """The members the message names now (all of them until a check skips some)."""
    return [member for member in message.household if SKIPPED not in member]


def first_names(message: QueuedMessage) -> list[str | None]:
    """Who the message speaks to: the named members, or the one patient it is for."""
    if not message.household:
        return [(message.merge_data.get("patient") or {}).get("firstName")]
    return [(member.get("patient") or {}).get("firstName") for member in named(message)]


def checked(message: QueuedMessage, checks: ResponsesAndConsents) -> QueuedMessage:
    """The household message with the members who must not get it marked skipped (why)."""
    if not message.household:
        return message
    members = []
    for member in message.household:
        reason = member.get(SKIPPED) or checks.skip_reason(
            message.campaign_id, member["patientId"], message.channel
        )
        members.append({**member, SKIPPED: reason} if reason else member)
    return msgspec.structs.replace(message, household=members)


def skip_reason(message: QueuedMessage) -> str | None:
    """Why a checked household message goes to no one: every member was skipped."""
    if not message.household or named(message):
        return None
    return "; ".join(sorted({member[SKIPPED] for member in message.household}))


def carrier(message: QueuedMessage) -> tuple[str, str]:
    """(messageId, patientId) its links are signed for: the first member it names, so a click
    or an unsubscribe finds a message that was sent (tracking fans it out to the members)."""
    first = (named(message) or [None])[0]
    if first is None:
        return message.message_id, message.patient_id
    return first["messageId"], first["patientId"]


def member_outcomes(message: QueuedMessage) -> list[tuple[str, str, str | None]]:
    """(messageId, patientId, skipped reason or None) of each patient the outcome is about."""
    if not message.household:
        return [(message.message_id, message.patient_id, None)]
    return [(m["messageId"], m["patientId"], m.get(SKIPPED)) for m in message.household]


def next_household(message: QueuedMessage, sequence: int) -> tuple[str, list[dict[str, Any]]]:
    """The next step's lead patient and members (empty: a message for one patient)."""
    members = named(message) if message.household else []
    if not members:
        return message.patient_id, []
    lead = members[0]["patientId"]
    if len(members) == 1:
        return lead, []
    return lead, [
        {
            "patientId": member["patientId"],
            "messageId": message_id(
                message.campaign_id, member["patientId"], message.run_number, sequence
            ),
            "patient": member.get("patient") or {},
        }
        for member in members
    ]


def lead_merge_data(message: QueuedMessage, lead: str) -> dict[str, Any]:
    """The merge data of a message led by `lead`: their own patient fields where known."""
    for member in message.household:
        if member["patientId"] == lead and member.get("patient"):
            return {**message.merge_data, "patient": member["patient"]}
    return message.merge_data
