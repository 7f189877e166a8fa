"""SIGKILL of a real dispatch-svc process in the middle of 5,000 messages, then a restart:
every message reaches its provider; Lob's idempotency keys show each letter created once; the
only duplicates at the SMTP and Twilio edge are messages flagged `retried`, at most as many as
the sender had in flight (its concurrency)."""

import asyncio
import signal
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from kit import (
    EMAIL_STEP,
    MAIL_STEP,
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
from processes import awake_zone, start_dispatch

from reengage_common.events import Channel, SendOutcome
from reengage_testing import eventually

pytestmark = pytest.mark.infra

EMAILS, TEXTS, LETTERS = 2_000, 2_000, 1_000
CONCURRENCY = {"EMAIL_CONCURRENCY": 16, "SMS_CONCURRENCY": 16, "MAIL_CONCURRENCY": 8}
STEPS = [
    EMAIL_STEP,
    SMS_STEP.model_copy(update={"sequence": 1, "delay_days": 0, "variant": "B"}),
    MAIL_STEP.model_copy(update={"sequence": 1, "delay_days": 0, "variant": "C"}),
]


async def test_a_sigkilled_sender_loses_nothing_and_repeats_only_what_was_in_flight(
    infra, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    zone = awake_zone(now)
    send_time = (now - timedelta(minutes=2)).astimezone(ZoneInfo(zone)).strftime("%H:%M")
    campaign = unique("crash")
    domain = f"{campaign}.example"
    mailpit = Mailpit()
    async with provider_fakes() as providers:
        settings = dispatch_settings(infra, providers, campaign)
        async with Bus(settings) as bus:
            sent = await bus.watch("message.sent")
            await bus.publish(
                launched(
                    campaign,
                    STEPS,
                    at=now - timedelta(hours=1),
                    send_times=[send_time],
                    timezone=zone,  # the send time is read in the campaign's zone
                )
            )
            phones: dict[str, str] = {}
            messages = []
            for n in range(EMAILS + TEXTS + LETTERS):
                channel, variant = (
                    (Channel.EMAIL, "A")
                    if n < EMAILS
                    else (Channel.SMS, "B")
                    if n < EMAILS + TEXTS
                    else (Channel.MAIL, "C")
                )
                contact = patient_contact(f"p-{n}", timezone=zone, domain=domain)
                contact.phone = f"+1555{n:07d}"
                message = due(
                    campaign,
                    f"p-{n}",
                    at=now - timedelta(minutes=3),
                    channel=channel,
                    variant=variant,
                    contact=contact,
                )
                phones[contact.phone] = message.message_id
                messages.append(message)
            await bus.publish(*messages)

            log = tmp_path / "dispatch.log"
            first = start_dispatch(settings, providers, free_port(), log, CONCURRENCY)
            try:
                await eventually(lambda: _reached(providers, 600), within=90)
            finally:
                first.send_signal(signal.SIGKILL)
                first.wait()
            killed_at = len(providers.twilio.messages)
            port = free_port()
            second = start_dispatch(settings, providers, port, log, CONCURRENCY)
            try:
                await eventually(lambda: _all_sent(sent, len(messages)), within=120)
                metrics = await _metrics(port)
            finally:
                second.terminate()
                second.wait(timeout=30)
        emails = await mailpit.to(f"@{domain}")
    await mailpit.close()

    assert killed_at < TEXTS, "the crash came in the middle of the campaign"
    latest = {event.data.message_id: event.data for event in sent}
    assert len(latest) == len(messages)
    assert {event.outcome for event in latest.values()} == {SendOutcome.SENT}
    retried = {message_id for message_id, event in latest.items() if event.retried}
    assert retried, "the restart retried what the killed sender had claimed"

    # Lob: one letter per idempotency key, a letter for every mail message
    lob = providers.lob
    mail_ids = {m.message_id for m in messages if m.channel is Channel.MAIL}
    assert set(lob.by_key) == mail_ids and len(lob.letters) == LETTERS

    # SMTP and Twilio: everything arrived; repeats only among the retried, at most in flight
    by_email = Counter(m["MessageID"].split("@")[0] for m in emails)
    by_text = Counter(phones[m["to"]] for m in providers.twilio.messages.values())
    email_ids = {m.message_id for m in messages if m.channel is Channel.EMAIL}
    sms_ids = {m.message_id for m in messages if m.channel is Channel.SMS}
    assert set(by_email) == email_ids and set(by_text) == sms_ids
    repeated = {mid for counts in (by_email, by_text) for mid, n in counts.items() if n > 1}
    print(f"killed after {killed_at} texts; retried {len(retried)}, repeated {len(repeated)}")
    assert repeated <= retried
    assert len(repeated) <= CONCURRENCY["EMAIL_CONCURRENCY"] + CONCURRENCY["SMS_CONCURRENCY"]
    assert max([*by_email.values(), *by_text.values()]) <= 2
    # the restarted process counts its retried sends in /metrics (the killed one counted its
    # own, had its shards wobbled under load and it retried one of its own claims)
    assert 0 < metrics <= len(retried)


async def _reached(providers, count: int) -> bool:
    return len(providers.twilio.messages) >= count


async def _all_sent(events, count: int) -> bool:
    return len({e.data.message_id for e in events}) >= count


async def _metrics(port: int) -> float:
    async with httpx.AsyncClient() as client:
        text = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("dispatch_retried_sends_total{")
    )


__all__ = ["asyncio"]
