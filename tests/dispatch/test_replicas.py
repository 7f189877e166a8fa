"""Two dispatch replicas (two apps with their own owner ids, one database, one consumer
group) on one 2,000-message campaign: the sender lease makes one of them send, and when that
one stops half-way the other takes the lease over and finishes. Each message reaches its
provider once."""

import contextlib
from collections import Counter

import pytest
from kit import (
    EMAIL_STEP,
    SMS_STEP,
    Bus,
    FakeClock,
    Mailpit,
    dispatch_app,
    dispatch_settings,
    due,
    launched,
    patient_contact,
    provider_fakes,
    running_sender,
    unique,
    utc,
)

from reengage_common.events import Channel, SendOutcome
from reengage_testing import eventually, serving

pytestmark = pytest.mark.infra

NOW = utc(2026, 11, 26, 16, 0)  # 10:00 in Chicago, a send time
# variant A starts by email, variant B by SMS
SMS_FIRST = SMS_STEP.model_copy(update={"sequence": 1, "delay_days": 0, "variant": "B"})
EACH = 1_000


async def test_two_replicas_send_each_message_of_a_campaign_once(infra) -> None:
    clock = FakeClock(NOW)
    campaign = unique("replicas")
    domain = f"{campaign}.example"
    mailpit = Mailpit()
    async with provider_fakes() as providers:
        # a modest pace, so the hand-over happens with work left on both channels
        settings = dispatch_settings(
            infra, providers, campaign, email_concurrency=4, sms_concurrency=4
        )
        async with Bus(settings) as bus:
            sent = await bus.watch("message.sent")
            apps = [dispatch_app(settings, clock) for _ in range(2)]
            replicas = [contextlib.AsyncExitStack() for _ in apps]
            try:
                clients = [
                    await replica.enter_async_context(serving(app))
                    for replica, app in zip(replicas, apps, strict=True)
                ]
                for client in clients:  # both joined the consumer group before work starts
                    await eventually(lambda client=client: _ready(client), within=60)
                assert len({running_sender(app).owner for app in apps}) == 2
                await bus.publish(launched(campaign, [EMAIL_STEP, SMS_FIRST], at=clock.now))
                await bus.publish(
                    *(
                        due(
                            campaign,
                            f"p-{n}",
                            at=clock.now,
                            channel=Channel.EMAIL if n % 2 else Channel.SMS,
                            variant="A" if n % 2 else "B",
                            contact=patient_contact(f"p-{n}", domain=domain),
                        )
                        for n in range(2 * EACH)
                    )
                )
                await eventually(lambda: _sent(sent, 400), within=60)
                sending = [n for n, app in enumerate(apps) if running_sender(app).ticks > 0]
                assert len(sending) == 1, "one replica at a time holds the sender lease"
                await replicas[sending[0]].aclose()  # it stops; the other takes over
                survivor = apps[1 - sending[0]]
                await eventually(lambda: _sent(sent, 2 * EACH), within=120)
                assert running_sender(survivor).ticks > 0
            finally:
                for replica in replicas:
                    await replica.aclose()
        emails = await mailpit.to(f"@{domain}")
        texts = list(providers.twilio.messages.values())
    await mailpit.close()

    assert {e.data.outcome for e in sent} == {SendOutcome.SENT}
    assert len({e.data.message_id for e in sent}) == 2 * EACH
    by_message_id = Counter(m["MessageID"] for m in emails)
    assert len(by_message_id) == EACH and max(by_message_id.values()) == 1
    by_phone = Counter(m["to"] for m in texts)
    assert len(by_phone) == EACH and max(by_phone.values()) == 1


async def _ready(client) -> bool:
    return (await client.get("/readyz")).status_code == 200


async def _sent(events, count: int) -> bool:
    return len({e.data.message_id for e in events}) >= count
