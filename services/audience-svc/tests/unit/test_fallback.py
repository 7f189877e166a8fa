"""Channel fallback's decisions in audience-svc (issue 22 #8), without I/O: which failures
fall back, by the first channel of the campaign's order that reaches the patient, once."""

from datetime import UTC, datetime
from typing import Any

from audience_svc.domain.facts import fold
from audience_svc.domain.fallback import failure_of, fallback_due
from reengage_common.events import (
    CampaignLaunched,
    Channel,
    Envelope,
    MessageSent,
    RecipientResponded,
    ResponseKind,
    SendOutcome,
    fallback_message_id,
)

AT = datetime(2026, 11, 26, 15, tzinfo=UTC)
RULES = [
    {"channel": "EMAIL", "to": "SMS", "body": "sms"},
    {"channel": "EMAIL", "to": "MAIL", "body": "letter"},
]
ADA = {
    "firstName": "Ada",
    "email": "ada@example.com",
    "phone": "+15551230001",
    "address": {"line1": "1 Main St", "city": "Springfield", "postalCode": "62701"},
    "consents": {"sms": True},
    "timezone": "America/Chicago",
}


def launched(rules: list[dict[str, Any]] = RULES) -> CampaignLaunched:
    return CampaignLaunched.model_validate(
        {
            "campaignId": "c-1",
            "name": "Recall",
            "targeting": {"inactiveDays": 180},
            "channels": ["EMAIL"],
            "messageTemplates": [{"channel": "EMAIL", "subject": "s", "body": "b", "sequence": 1}],
            "variants": [{"name": "A"}],
            "schedule": {"timezone": "America/Chicago"},
            "launchedAt": AT.isoformat(),
            "runNumber": 2,
            "channelFallback": rules,
        }
    )


def state(profile: dict[str, Any], *blocked: str) -> dict[str, Any]:
    facts: list[dict[str, Any]] = [{"k": "p", "pid": "p-1", "t": 1.0, "i": "e", "d": profile}]
    facts += [{"k": "u", "pid": "p-1", "t": 2.0, "ch": channel} for channel in blocked]
    states: dict[str, Any] = {}
    fold(states, facts)
    return states["p-1"]


def envelope(data: Any) -> Envelope[Any]:
    return Envelope[type(data)](  # type: ignore[misc]
        id="e-1", type=data.topic, source="t", time=AT, clinic_id="cl", data=data
    )


def bounce(**changes: Any) -> Envelope[Any]:
    fields = dict(campaign_id="c-1", patient_id="p-1", kind=ResponseKind.BOUNCED)
    fields.update(channel=Channel.EMAIL, at=AT, message_id="m-1", sequence=1, variant="A")
    return envelope(RecipientResponded(**{**fields, **changes}))


def refused(**changes: Any) -> Envelope[Any]:
    fields = dict(message_id="m-1", campaign_id="c-1", patient_id="p-1", sequence=1)
    fields.update(channel=Channel.EMAIL, outcome=SendOutcome.FAILED, at=AT, undeliverable=True)
    return envelope(MessageSent(**{**fields, **changes}))


def test_refusals_skips_as_undeliverable_and_bounces_are_failures() -> None:
    assert failure_of(refused()) is not None
    assert failure_of(refused(outcome=SendOutcome.SKIPPED)) is not None
    assert failure_of(bounce()) is not None


def test_other_outcomes_and_a_fallbacks_own_failure_are_not() -> None:
    assert failure_of(refused(undeliverable=False)) is None  # a transient error given up
    assert failure_of(refused(fallback_for="m-0")) is None, "a fallback never falls back"
    assert failure_of(bounce(fallback_for="m-0")) is None
    assert failure_of(bounce(message_id=None)) is None, "a bounce from before the fields"
    assert failure_of(bounce(kind=ResponseKind.UNSUBSCRIBED)) is None


def test_a_bounced_email_falls_back_to_sms_for_the_same_step_once() -> None:
    failure = failure_of(bounce())
    assert failure is not None

    due = fallback_due(launched(), failure, state(ADA))

    assert due is not None
    data = due.data
    assert (data.channel, data.sequence, data.fallback_for) == (Channel.SMS, 1, "m-1")
    assert data.message_id == fallback_message_id("c-1", "p-1", 2, 1)
    assert data.contact.phone == "+15551230001"
    assert data.merge_data["patient"]["firstName"] == "Ada"
    again = fallback_due(launched(), failure_of(refused()), state(ADA))  # type: ignore[arg-type]
    assert again is not None and (again.id, again.data.message_id) == (due.id, data.message_id)


def test_the_next_channel_in_order_when_sms_is_not_consented_or_closed() -> None:
    failure = failure_of(bounce())
    assert failure is not None
    no_sms_consent = {**ADA, "consents": {}}

    first = fallback_due(launched(), failure, state(no_sms_consent))
    closed = fallback_due(launched(), failure, state(ADA, "SMS"))

    assert first is not None and first.data.channel is Channel.MAIL
    assert closed is not None and closed.data.channel is Channel.MAIL


def test_no_fallback_without_a_rule_a_reachable_channel_or_the_patient() -> None:
    failure = failure_of(bounce())
    assert failure is not None
    nowhere = {**ADA, "consents": {"sms": True, "mail": False}}

    assert fallback_due(launched([]), failure, state(ADA)) is None
    assert fallback_due(launched(), failure, state(nowhere, "SMS")) is None
    assert fallback_due(launched(), failure, state({**ADA, "doNotContact": True})) is None
    assert fallback_due(launched(), failure, None) is None
