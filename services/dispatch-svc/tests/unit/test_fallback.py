"""Channel fallback in dispatch (issue 22 #8): a fallback message composes with its rule's
template, a bounce closes only the channels the campaign falls back from, and a refused
address or number says `undeliverable` on its message.sent. No I/O."""

from datetime import UTC, datetime

from msgspec.structs import replace

from dispatch_svc.channels.base import PermanentProviderError, TransientProviderError
from dispatch_svc.domain.campaigns import falls_back_from
from dispatch_svc.domain.compose import CannotCompose, compose
from dispatch_svc.domain.decisions import Response, ResponsesAndConsents, Undeliverable
from dispatch_svc.domain.messages import QueuedMessage
from dispatch_svc.domain.outcomes import provider_failed, skip_reasons
from reengage_common.events import (
    CampaignLaunched,
    Channel,
    ChannelFallback,
    MessageTemplate,
    ResponseKind,
    Schedule,
    Variant,
)

AT = datetime(2026, 11, 26, 16, tzinfo=UTC)
SNAPSHOT = CampaignLaunched(
    campaign_id="c-1",
    name="Recall",
    targeting={"inactiveDays": 180},
    channels=[Channel.EMAIL],
    message_templates=[
        MessageTemplate(channel=Channel.EMAIL, subject="Hi", body="Email body", sequence=1)
    ],
    variants=[Variant(name="A")],
    schedule=Schedule(send_times=["10:00"], timezone="America/Chicago"),
    launched_at=AT,
    channel_fallback=[
        ChannelFallback(
            channel=Channel.EMAIL, to=Channel.SMS, body="{{ patient.firstName }}: {{ bookingLink }}"
        )
    ],
)
EMAIL = QueuedMessage(
    message_id="m-1",
    clinic_id="cl",
    campaign_id="c-1",
    patient_id="p-1",
    run_number=1,
    sequence=1,
    channel=Channel.EMAIL,
    variant="A",
    due_at=AT,
    contact={"email": "ada@x.example", "phone": "+15551230001"},
    merge_data={"patient": {"firstName": "Ada"}},
    incentive_code=None,
    trace_id=None,
    batch_id="b-1",
    shard=0,
)
SMS_FALLBACK = replace(EMAIL, message_id="m-1-fb", channel=Channel.SMS, fallback_for="m-1")


def bounced(channel: Channel | None) -> ResponsesAndConsents:
    return ResponsesAndConsents.of([Response("cl", "c-1", "p-1", ResponseKind.BOUNCED, channel)])


def composed(message: QueuedMessage) -> str:
    outgoing = compose(message, SNAPSHOT, link_secret="s" * 32, public_base_url="https://t", now=AT)
    return outgoing.text


def test_a_fallback_message_composes_with_its_rules_template() -> None:
    assert composed(SMS_FALLBACK).startswith("Ada: https://t/b/")
    assert composed(EMAIL).startswith("Email body")


def test_a_fallback_by_a_channel_without_a_rule_cannot_be_composed() -> None:
    letter = replace(SMS_FALLBACK, channel=Channel.MAIL)

    try:
        composed(letter)
    except CannotCompose as exc:
        assert "no fallback by MAIL" in str(exc)
    else:
        raise AssertionError("composed a fallback the campaign has no rule for")


def test_without_fallback_a_bounce_ends_the_sequence() -> None:
    checks = bounced(Channel.EMAIL)

    assert skip_reasons([SMS_FALLBACK], checks) == {"m-1-fb": "recipient responded (BOUNCED)"}


def test_with_fallback_a_bounce_closes_its_channel_only() -> None:
    checks = bounced(Channel.EMAIL)
    falls_back = falls_back_from(SNAPSHOT)
    later_email = replace(EMAIL, message_id="m-2", sequence=2)

    reasons = skip_reasons([SMS_FALLBACK, later_email], checks, falls_back)

    assert reasons == {"m-2": "EMAIL bounced before"}
    assert isinstance(reasons["m-2"], Undeliverable)


def test_a_bounce_of_a_channel_without_a_rule_still_ends_the_sequence() -> None:
    checks = bounced(Channel.SMS)

    reasons = skip_reasons([EMAIL], checks, falls_back_from(SNAPSHOT))

    assert reasons == {"m-1": "recipient responded (BOUNCED)"}


def test_a_refused_address_is_undeliverable_and_a_fallback_says_what_it_replaces() -> None:
    refused = provider_failed(
        SMS_FALLBACK,
        PermanentProviderError("21211 invalid number"),
        provider="twilio",
        attempts=4,
        attempt=1,
        retried=False,
        at=AT,
    )
    gave_up = provider_failed(
        EMAIL,
        TransientProviderError("451 try later"),
        provider="smtp",
        attempts=4,
        attempt=1,
        retried=False,
        at=AT,
    )

    (sent,) = [event.data for event in refused.events]
    assert (sent.undeliverable, sent.fallback_for) == (True, "m-1")
    assert [event.data.undeliverable for event in gave_up.events] == [False]
