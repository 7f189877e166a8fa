"""Three dispatch-svc replicas as real processes on one 6,000-message campaign (email and SMS):
each sends the messages of the `message.due` partitions its consumer owns, so every replica
sends a share; one is SIGKILLed mid-campaign, the group gives its partitions to the other two,
and they send what it left. Each message reaches its provider once, but for those the killed
replica had in flight, which are flagged `retried`."""

import signal
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from kit import (
    EMAIL_STEP,
    SMS_STEP,
    Bus,
    Mailpit,
    dispatch_settings,
    due,
    free_port,
    launched,
    patient_contact,
    provider_fakes,
    unique,
)
from processes import awake_zone, start_dispatch, wait_ready
from pymongo import AsyncMongoClient

from reengage_common import codec
from reengage_common.events import Channel, SendOutcome
from reengage_testing import eventually

pytestmark = pytest.mark.infra

EACH = 3_000  # emails, and as many texts
REPLICAS = 3
PARTITIONS = 6  # of every topic: two `message.due` partitions per replica
CONCURRENCY = {"EMAIL_CONCURRENCY": 8, "SMS_CONCURRENCY": 8, "MAIL_CONCURRENCY": 2}
SMS_FIRST = SMS_STEP.model_copy(update={"sequence": 1, "delay_days": 0, "variant": "B"})


async def test_three_replicas_share_the_sending_and_survive_a_sigkill(
    infra, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    zone = awake_zone(now)
    send_time = (now - timedelta(minutes=2)).astimezone(ZoneInfo(zone)).strftime("%H:%M")
    campaign = unique("shards")
    domain = f"{campaign}.example"
    mailpit = Mailpit()
    async with provider_fakes() as providers:
        settings = dispatch_settings(infra, providers, campaign, kafka_partitions=PARTITIONS)
        async with Bus(settings) as bus:
            sent = await bus.watch("message.sent")
            log = tmp_path / "dispatch.log"
            ports = [free_port() for _ in range(REPLICAS)]
            replicas = [
                start_dispatch(settings, providers, port, log, CONCURRENCY) for port in ports
            ]
            try:
                # all three in the group before the work comes (a replica joining late, on a
                # busy machine, found its shards sent by the others already)
                await wait_ready(ports)
                await bus.publish(
                    launched(
                        campaign,
                        [EMAIL_STEP, SMS_FIRST],
                        at=now - timedelta(hours=1),
                        send_times=[send_time],
                        timezone=zone,
                    )
                )
                phones: dict[str, str] = {}
                messages = []
                for n in range(2 * EACH):
                    email = n % 2 == 0
                    contact = patient_contact(f"p-{n}", timezone=zone, domain=domain)
                    contact.phone = f"+1555{n:07d}"
                    message = due(
                        campaign,
                        f"p-{n}",
                        at=now - timedelta(minutes=3),
                        channel=Channel.EMAIL if email else Channel.SMS,
                        variant="A" if email else "B",
                        contact=contact,
                    )
                    phones[contact.phone] = message.message_id
                    messages.append(message)
                await bus.publish(*messages)

                claims = await _claims(settings)
                # a quarter of the campaign out, every replica sending, before one of them dies
                await eventually(lambda: _all_sent(sent, len(messages) // 4), within=120)
                await eventually(lambda: _every_replica_sends(claims, REPLICAS), within=30)
                replicas[0].send_signal(signal.SIGKILL)
                replicas[0].wait()
                killed_at = len({e.data.message_id for e in sent})
                await eventually(lambda: _all_sent(sent, len(messages)), within=180)
                shares = Counter(owner for owner, _ in await claims())
            finally:
                for replica in replicas:
                    replica.terminate()
                for replica in replicas:
                    replica.wait(timeout=30)
        emails = await mailpit.to(f"@{domain}")
    await mailpit.close()

    total = sum(shares.values())
    print(f"killed after {killed_at} of {len(messages)}; claims by replica: {shares}")
    assert len(messages) // 4 <= killed_at < len(messages) * 0.8, "killed mid-campaign"
    assert len(shares) == REPLICAS, "every replica sent a share"
    assert max(shares.values()) <= 0.6 * total, "no replica sent more than 60 %"

    latest = {event.data.message_id: event.data for event in sent}
    assert len(latest) == len(messages)
    assert {event.outcome for event in latest.values()} == {SendOutcome.SENT}
    retried = {message_id for message_id, event in latest.items() if event.retried}

    by_email = Counter(m["MessageID"].split("@")[0] for m in emails)
    by_text = Counter(phones[m["to"]] for m in providers.twilio.messages.values())
    email_ids = {m.message_id for m in messages if m.channel is Channel.EMAIL}
    sms_ids = {m.message_id for m in messages if m.channel is Channel.SMS}
    assert set(by_email) == email_ids and set(by_text) == sms_ids, "every message arrived"
    repeated = {mid for counts in (by_email, by_text) for mid, n in counts.items() if n > 1}
    print(f"retried {len(retried)}, repeated at the providers {len(repeated)}")
    assert repeated <= retried
    in_flight = CONCURRENCY["EMAIL_CONCURRENCY"] + CONCURRENCY["SMS_CONCURRENCY"]
    assert len(repeated) <= in_flight
    assert max([*by_email.values(), *by_text.values()]) <= 2


async def _claims(settings: Any) -> Any:
    """A reader of the campaign's send claims: (owner, message id) of each."""
    database = AsyncMongoClient(settings.mongo_url, tz_aware=True)[settings.database_name]

    async def read() -> list[tuple[str, str]]:
        found = database["send_claims"].find({}, {"claim": 1})
        return [
            (codec.decode(record["claim"])["owner"], record["_id"].rpartition(":")[0])
            async for record in found
        ]

    return read


async def _every_replica_sends(claims: Any, replicas: int) -> bool:
    owners = Counter(owner for owner, _ in await claims())
    return len(owners) == replicas and min(owners.values()) >= 200


async def _all_sent(events: list[Any], count: int) -> bool:
    return len({e.data.message_id for e in events}) >= count
