"""The inbox's rules without I/O: a reply's text, STOP winning, the sending hours on the
patient's clock, and conversations folded from messages, reads and assignments."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from dispatch_svc.domain.inbox import (
    INBOUND,
    OUTBOUND,
    InboxMessage,
    ReplyRefused,
    checked_reply,
    conversations,
    refuse_unless_allowed,
    said_stop,
)

CHICAGO = ZoneInfo("America/Chicago")
NOON = datetime(2026, 11, 26, 18, 0, tzinfo=UTC)  # 12:00 in Chicago
WINDOW = (time(8, 0), time(21, 0))


def message(
    n: int, direction: str = INBOUND, meaning: str | None = "OTHER", patient: str = "p1"
) -> InboxMessage:
    return InboxMessage(
        id=f"m{n}",
        clinic_id="c",
        patient_id=patient,
        campaign_id=f"camp-{n}",
        direction=direction,
        body=f"text {n}",
        at=NOON + timedelta(minutes=n),
        meaning=meaning if direction == INBOUND else None,
    )


@pytest.mark.parametrize(
    ("text", "code"),
    [("", "REQUIRED"), ("   ", "REQUIRED"), ("x" * 1601, "TOO_LONG"), (5, "INVALID_TYPE")],
)
def test_a_reply_needs_words_within_one_sms(text: object, code: str) -> None:
    with pytest.raises(ReplyRefused) as refused:
        checked_reply(text)
    assert (refused.value.field, refused.value.code) == ("text", code)
    assert checked_reply("  See you Tuesday ") == "See you Tuesday"


def test_stop_wins_until_the_patient_writes_again() -> None:
    assert said_stop([message(1), message(2, meaning="STOP")])
    assert said_stop([message(2, meaning="STOP"), message(3, OUTBOUND)])
    assert not said_stop([message(1, meaning="STOP"), message(2, meaning="OTHER")])
    with pytest.raises(ReplyRefused) as refused:
        refuse_unless_allowed(stopped=True, now=NOON, patient_zone=CHICAGO, window=WINDOW)
    assert refused.value.code == "OPTED_OUT"


def test_replies_go_only_within_the_sending_hours_on_the_patients_clock() -> None:
    refuse_unless_allowed(stopped=False, now=NOON, patient_zone=CHICAGO, window=WINDOW)
    late = datetime(2026, 11, 27, 4, 0, tzinfo=UTC)  # 22:00 in Chicago
    with pytest.raises(ReplyRefused) as refused:
        refuse_unless_allowed(stopped=False, now=late, patient_zone=CHICAGO, window=WINDOW)
    assert refused.value.code == "OUTSIDE_LEGAL_HOURS"
    assert "08:00 (America/Chicago) on 2026-11-27" in refused.value.message
    narrowed = (time(9, 0), time(17, 0))  # the clinic's quiet hours
    evening = datetime(2026, 11, 26, 23, 30, tzinfo=UTC)  # 17:30 in Chicago
    with pytest.raises(ReplyRefused):
        refuse_unless_allowed(stopped=False, now=evening, patient_zone=CHICAGO, window=narrowed)


def test_conversations_count_unread_since_the_last_read_and_keep_the_assignee() -> None:
    messages = [
        message(1, meaning="INTERESTED"),
        message(2, OUTBOUND),
        message(3),
        message(4),
        message(5, patient="p2"),
    ]
    found = conversations(messages, {"p1": messages[2].at}, {"p1": "u-anna"})
    assert [c.patient_id for c in found] == ["p2", "p1"]  # the latest first
    p1 = found[1]
    assert (p1.unread, p1.assignee, p1.interested, p1.stopped) == (1, "u-anna", True, False)
    assert p1.last.id == "m4" and p1.campaign_id == "camp-4"
    assert found[0].unread == 1 and found[0].assignee is None
