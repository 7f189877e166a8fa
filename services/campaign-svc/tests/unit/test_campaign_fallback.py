"""Channel fallback rules (issue 22 #8): what a campaign's `channelFallback` may say."""

from datetime import datetime
from typing import Any

from campaign_svc.domain.model import FieldError, parse_campaign_input
from campaign_svc.domain.snapshot import launched_event
from campaign_svc.domain.validation import validate_campaign
from reengage_common.error_codes import CampaignErrorCode as Code
from reengage_common.events import Channel

SMS_FALLBACK = {"channel": "EMAIL", "to": "SMS", "body": "{{ clinic.name }}: {{ bookingLink }}"}


def problems(document: dict[str, Any], now: datetime) -> list[FieldError]:
    return validate_campaign(parse_campaign_input(document), now=now)


def test_fallback_is_off_unless_set(campaign_document: dict[str, Any]) -> None:
    assert parse_campaign_input(campaign_document).channel_fallback == []
    campaign_document["channelFallback"] = None

    assert parse_campaign_input(campaign_document).channel_fallback == []


def test_an_ordered_fallback_per_channel_is_valid(
    campaign_document: dict[str, Any], now: datetime
) -> None:
    letter = {"channel": "EMAIL", "to": "MAIL", "body": "Dear {{ patient.firstName or 'patient' }}"}
    email = {"channel": "SMS", "to": "EMAIL", "subject": "We tried to text you", "body": "Hi"}
    campaign_document["channelFallback"] = [SMS_FALLBACK, letter, email]

    assert problems(campaign_document, now) == []


def test_a_letter_never_falls_back_and_a_rule_changes_channel(
    campaign_document: dict[str, Any], now: datetime
) -> None:
    campaign_document["channelFallback"] = [
        {"channel": "MAIL", "to": "SMS", "body": "hi"},
        {"channel": "SMS", "to": "SMS", "body": "hi"},
    ]

    codes = {(e.field, e.code) for e in problems(campaign_document, now)}

    assert codes == {
        ("channelFallback.0.channel", Code.INVALID),
        ("channelFallback.1.to", Code.INVALID),
    }


def test_a_rule_given_twice_and_an_email_without_subject_are_refused(
    campaign_document: dict[str, Any], now: datetime
) -> None:
    campaign_document["channelFallback"] = [
        SMS_FALLBACK,
        SMS_FALLBACK,
        {"channel": "SMS", "to": "EMAIL", "body": "hi"},
    ]

    codes = {(e.field, e.code) for e in problems(campaign_document, now)}

    assert codes == {
        ("channelFallback.1.to", Code.DUPLICATE),
        ("channelFallback.2.subject", Code.REQUIRED),
    }


def test_a_fallback_template_meets_the_template_rules(
    campaign_document: dict[str, Any], now: datetime
) -> None:
    campaign_document["incentive"] = {"hasIncentive": False}
    campaign_document["messageTemplates"][0]["body"] = "Book: {{ bookingLink }}"
    campaign_document["channelFallback"] = [
        {"channel": "EMAIL", "to": "SMS", "body": "{{ incentive.code }} {{ nope }}"}
    ]

    errors = problems(campaign_document, now)

    assert {e.field for e in errors} == {"channelFallback.0.body"}
    assert {e.code for e in errors} & {Code.INVALID_TEMPLATE, Code.NOT_ALLOWED_MERGE_FIELD}


def test_the_launch_snapshot_carries_the_fallback(
    campaign_document: dict[str, Any], now: datetime
) -> None:
    campaign_document["channelFallback"] = [SMS_FALLBACK]

    event = launched_event("c-1", parse_campaign_input(campaign_document), launched_at=now)

    assert [(r.channel, r.to) for r in event.channel_fallback] == [(Channel.EMAIL, Channel.SMS)]
