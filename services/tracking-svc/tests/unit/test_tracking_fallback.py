"""Channel fallback in tracking's figures and history (issue 22 #8): a fallback is a message
of its own, counted as a fallback by step, channel and campaign, and shown with what it
replaced."""

from datetime import UTC, datetime

from reengage_common.events import (
    Channel,
    MessageDue,
    MessageSent,
    RecipientResponded,
    ResponseKind,
    SendOutcome,
)
from tracking_svc.domain.intake import due_fact, response_fact, sent_fact
from tracking_svc.domain.recipients import fold
from tracking_svc.domain.stats import CampaignTerms, campaign_stats

AT = datetime(2026, 12, 1, 15, tzinfo=UTC)


def due(message_id: str, channel: Channel, fallback_for: str | None = None) -> MessageDue:
    return MessageDue(
        message_id=message_id,
        campaign_id="c-1",
        patient_id="p-1",
        sequence=1,
        channel=channel,
        due_at=AT,
        contact={},
        fallback_for=fallback_for,
    )


def sent(message_id: str, channel: Channel, fallback_for: str | None = None) -> MessageSent:
    return MessageSent(
        message_id=message_id,
        campaign_id="c-1",
        patient_id="p-1",
        sequence=1,
        channel=channel,
        outcome=SendOutcome.SENT,
        at=AT,
        fallback_for=fallback_for,
    )


def test_a_bounced_email_and_its_sms_fallback() -> None:
    bounced = RecipientResponded(
        campaign_id="c-1", patient_id="p-1", kind=ResponseKind.BOUNCED, channel="EMAIL", at=AT
    )
    facts = [
        due_fact(due("m-1", Channel.EMAIL)),
        sent_fact(sent("m-1", Channel.EMAIL)),
        response_fact(bounced),
        due_fact(due("m-1-fb", Channel.SMS, "m-1")),
        sent_fact(sent("m-1-fb", Channel.SMS, "m-1")),
    ]

    folded = fold(facts)
    stats = campaign_stats("c-1", folded, CampaignTerms())

    assert (stats["fallbacks"], stats["fallbacksSent"], stats["sent"]) == (1, 1, 2)
    assert {row["channel"]: row["fallbacks"] for row in stats["byChannel"]} == {
        "EMAIL": 0,
        "SMS": 1,
    }
    assert [(row["sequence"], row["fallbacks"]) for row in stats["byStep"]] == [(1, 1)]
    history = folded.recipients["p-1"].to_json()["history"]
    assert [(h["channel"], h["fallbackFor"]) for h in history] == [
        ("EMAIL", None),
        ("SMS", "m-1"),
    ]
