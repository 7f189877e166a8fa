"""Transient provider errors are retried with backoff; permanent ones are FAILED with the
provider's reason; a message that keeps failing transiently is FAILED once attempts run out."""

import pytest
from kit import (
    EMAIL_STEP,
    MAIL_STEP,
    SMS_STEP,
    FakeClock,
    dispatch_stack,
    due,
    launched,
    patient_contact,
    sent_of,
    unique,
    utc,
)

from reengage_common.events import Channel, SendOutcome
from reengage_testing import eventually

pytestmark = pytest.mark.infra

NOW = utc(2026, 11, 26, 16, 0)  # 10:00 in Chicago
SMS_FIRST = SMS_STEP.model_copy(update={"sequence": 1, "delay_days": 0})
MAIL_FIRST = MAIL_STEP.model_copy(update={"sequence": 1, "delay_days": 0})
EMAIL_FIRST = EMAIL_STEP.model_copy(update={"sequence": 1, "delay_days": 0})


async def test_transient_errors_are_retried_and_permanent_ones_fail_with_the_reason(infra) -> None:
    clock = FakeClock(NOW)
    sms_campaign, mail_campaign = unique("sms-fail"), unique("mail-fail")
    lucky, refused = unique("p-lucky"), unique("p-refused")
    async with dispatch_stack(infra, "failures", clock, send_attempts=4) as stack:
        sent = await stack.bus.watch("message.sent")
        twilio, lob = stack.providers.twilio, stack.providers.lob
        twilio.behaviour.update({"mode": "transient", "count": 2})
        twilio.behaviour.fail_recipients = {patient_contact(refused).phone}
        await stack.bus.publish(
            launched(sms_campaign, [SMS_FIRST], at=clock.now),
            launched(mail_campaign, [MAIL_FIRST], at=clock.now),
        )
        await stack.bus.publish(due(sms_campaign, lucky, at=clock.now, channel=Channel.SMS))
        await eventually(lambda: _count(sent, sms_campaign, 1))
        await stack.bus.publish(due(sms_campaign, refused, at=clock.now, channel=Channel.SMS))
        await eventually(lambda: _count(sent, sms_campaign, 2))

        lob.behaviour.update({"mode": "permanent"})
        await stack.bus.publish(due(mail_campaign, refused, at=clock.now, channel=Channel.MAIL))
        await eventually(lambda: _count(sent, mail_campaign, 1))
        lob.behaviour.update({"mode": "transient", "count": 50})
        await stack.bus.publish(due(mail_campaign, lucky, at=clock.now, channel=Channel.MAIL))
        await eventually(lambda: _count(sent, mail_campaign, 2))
        letter_requests = [r for r in lob.requests if r["status"] == 500]

    sms = {e.patient_id: e for e in sent_of(sent, sms_campaign)}
    assert sms[lucky].outcome is SendOutcome.SENT and sms[lucky].provider_message_id.startswith(
        "SM"
    )
    attempts = [r for r in twilio.requests if r["form"]["To"] == patient_contact(lucky).phone]
    assert [r["status"] for r in attempts] == [503, 503, 201]
    assert sms[refused].outcome is SendOutcome.FAILED
    assert sms[refused].reason == "twilio 400 code 21610: Attempt to send to unsubscribed recipient"
    mail = {e.patient_id: e for e in sent_of(sent, mail_campaign)}
    assert mail[refused].outcome is SendOutcome.FAILED
    assert "failed_deliverability_strictness" in mail[refused].reason
    assert mail[lucky].outcome is SendOutcome.FAILED
    assert mail[lucky].reason.startswith("gave up after 4 attempts: lob 500 internal_server_error")
    assert len(letter_requests) == 4


async def test_smtp_refusals_5xx_fail_with_the_servers_reply_and_4xx_are_retried(infra) -> None:
    clock = FakeClock(NOW)
    campaign = unique("smtp-fail")
    refused, deferred, welcome = unique("p-refused"), unique("p-deferred"), unique("p-welcome")
    async with dispatch_stack(infra, "smtp-failures", clock, send_attempts=3) as stack:
        sent = await stack.bus.watch("message.sent")
        await stack.bus.publish(launched(campaign, [EMAIL_FIRST], at=clock.now))
        async with stack.mailpit.refusing("Recipient", 550):
            await stack.bus.publish(due(campaign, refused, at=clock.now))
            await eventually(lambda: _count(sent, campaign, 1))
        async with stack.mailpit.refusing("Sender", 451):
            await stack.bus.publish(due(campaign, deferred, at=clock.now))
            await eventually(lambda: _count(sent, campaign, 2))
        # the pooled connections were reset after each refusal: the next message goes through
        await stack.bus.publish(due(campaign, welcome, at=clock.now))
        await eventually(lambda: _count(sent, campaign, 3))
        arrived = {p: await stack.mailpit.to(f"{p}@") for p in (refused, deferred, welcome)}

    emails = {e.patient_id: e for e in sent_of(sent, campaign)}
    assert emails[refused].outcome is SendOutcome.FAILED
    assert emails[refused].reason.startswith("smtp 550")
    assert emails[refused].retried is False
    assert emails[deferred].outcome is SendOutcome.FAILED
    assert emails[deferred].reason.startswith("gave up after 3 attempts: smtp 451")
    assert emails[welcome].outcome is SendOutcome.SENT
    assert {p: len(messages) for p, messages in arrived.items()} == {
        refused: 0,
        deferred: 0,
        welcome: 1,
    }


async def _count(events, campaign: str, count: int) -> bool:
    return len(sent_of(events, campaign)) >= count
