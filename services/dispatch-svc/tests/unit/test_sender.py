"""The sender's decisions over an in-memory store and fake channels (no server): what it
claims, composes, sends and stores. The same scenarios run against Kafka, FerretDB and the
providers in tests/dispatch (test_sequence, test_patient_consent, test_provider_failures,
test_campaign_status, test_crash)."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from fake_store import FakeDispatchStore
from kit import EMAIL_STEP, SMS_STEP, due, launched, responded, status_changed

from dispatch_svc.channels.base import (
    Outgoing,
    PermanentProviderError,
    Receipt,
    TransientProviderError,
)
from dispatch_svc.config import DispatchSettings
from dispatch_svc.domain.message_states import Claimed
from dispatch_svc.domain.messages import queued_message
from dispatch_svc.handlers import make_handlers
from dispatch_svc.sender.loop import Sender
from dispatch_svc.sender.slots import limiter_at
from dispatch_svc.sender.view import NEWS_KEPT
from reengage_common.events import (
    CampaignStatus,
    Channel,
    Envelope,
    Event,
    ResponseKind,
    parse,
)
from reengage_testing import FakeClock, eventually

TEN_AM_CHICAGO = datetime(2026, 11, 26, 16, tzinfo=UTC)
CLINIC = "clinic-unit"
SHARD = 0  # the `message.due` partition the unit's messages come from


@dataclass
class FakeChannel:
    """A provider that answers at once, or fails as a test tells it to."""

    name: str
    failures: list[Exception] = field(default_factory=list)
    sent: list[Outgoing] = field(default_factory=list)
    gate: asyncio.Event | None = None  # when set by a test, each call waits for it

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def send(self, message: Outgoing) -> Receipt:
        if self.gate is not None:
            await self.gate.wait()
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(message)
        return Receipt(self.name, f"<{message.message_id}@{self.name}>", 1)


class FakeProducer:
    """What `send_in_batches` needs of aiokafka's producer; keeps what was published."""

    def __init__(self) -> None:
        self.published: list[Envelope[Any]] = []

    def _partitioner(self, key: bytes, every: list[int], available: list[int]) -> int:
        return 0

    async def partitions_for(self, topic: str) -> set[int]:
        return {0}

    def create_batch(self) -> list[bytes]:
        return _Batch()

    async def send_batch(self, batch: "_Batch", topic: str, partition: int) -> Any:
        self.published += [parse(value) for value in batch.values]
        done = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


class _Batch:
    def __init__(self) -> None:
        self.values: list[bytes] = []

    def append(self, *, key: bytes, value: bytes, timestamp: None, headers: Any) -> bool:
        self.values.append(value)
        return True


@dataclass
class Unit:
    store: FakeDispatchStore
    sender: Sender
    channels: dict[Channel, FakeChannel]
    producer: FakeProducer
    clock: FakeClock

    async def receive(self, *events: Event) -> None:
        """What the consumer would store (through the real handlers) from these events."""
        handlers = make_handlers(self.store, clock=self.clock, nudge=self.sender.nudge)
        for event in events:
            envelope = Envelope.wrap(event, source="tests", clinic_id=CLINIC)
            await handlers[type(event)].run([envelope], SHARD)

    def published(self, topic: str) -> list[Any]:
        return [e.data for e in self.producer.published if e.type == topic]


@contextlib.asynccontextmanager
async def running_sender(owns_shard: bool = True, **settings: Any) -> AsyncIterator[Unit]:
    store, producer, clock = FakeDispatchStore(), FakeProducer(), FakeClock(TEN_AM_CHICAGO)
    channels = {channel: FakeChannel(f"fake-{channel.value.lower()}") for channel in Channel}
    config = DispatchSettings(
        service="dispatch-svc",
        public_base_url="https://links.clinic.example",
        sender_tick_seconds=0.01,
        outcome_linger_seconds=0.001,
        retry_wait_max_seconds=0.001,
        **settings,
    )
    sender = Sender(config, store, dict(channels), clock, "unit-sender", producer)  # type: ignore[arg-type]
    # the consumer joined its group: given the unit's shard, or none
    sender.shards.assigned(frozenset({("message.due", SHARD)}) if owns_shard else frozenset())
    task = asyncio.create_task(sender.run())
    try:
        yield Unit(store, sender, channels, producer, clock)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _wall() -> datetime:
    return datetime.now(UTC)


async def _outcomes(unit: Unit, count: int) -> bool:
    return len(unit.store.outcomes()) >= count


async def test_a_due_email_is_claimed_sent_stored_and_its_next_step_published() -> None:
    campaign = "c-sent"
    async with running_sender() as unit:
        await unit.receive(
            launched(campaign, [EMAIL_STEP, SMS_STEP], at=unit.clock.now),
            due(campaign, "p-1", at=unit.clock.now),
        )
        await eventually(lambda: _outcomes(unit, 1))
        await eventually(lambda: _published(unit, 2))

    (email,) = unit.channels[Channel.EMAIL].sent
    assert email.subject == "We miss you, Ada"
    assert email.unsubscribe_link.startswith("https://links.clinic.example/u/")
    (outcome,) = unit.store.outcomes().values()
    assert (outcome.outcome, outcome.attempt) == ("SENT", 1)
    assert list(unit.store.claims) == [f"{email.message_id}:1"]
    (sent,) = unit.published("message.sent")
    assert (sent.provider, sent.retried) == ("fake-email", False)
    (following,) = unit.published("message.due")
    assert (following.sequence, following.channel) == (2, Channel.SMS)
    assert following.due_at == unit.clock.now + timedelta(days=3)
    assert unit.store.published == set(unit.store.send_batches)


async def test_an_unsubscribed_patient_is_claimed_and_skipped_never_sent() -> None:
    campaign = "c-opted-out"
    async with running_sender() as unit:
        await unit.receive(
            launched(campaign, [EMAIL_STEP], at=unit.clock.now),
            responded(campaign, "p-1", ResponseKind.UNSUBSCRIBED, unit.clock.now, None),
            due(campaign, "p-1", at=unit.clock.now),
        )
        await eventually(lambda: _outcomes(unit, 1))

    assert unit.channels[Channel.EMAIL].sent == []
    (outcome,) = unit.store.outcomes().values()
    assert (outcome.outcome, outcome.reason) == ("SKIPPED", "unsubscribed from EMAIL")


async def test_a_claim_left_by_a_dead_sender_is_retried_as_the_next_attempt_flagged() -> None:
    campaign = "c-retry"
    message = due(campaign, "p-1", at=TEN_AM_CHICAGO)
    async with running_sender() as unit:
        # a predecessor claimed attempt 1 and died before storing its outcome; its claim expired
        expired = _wall() - timedelta(seconds=1)
        unit.store.claims[f"{message.message_id}:1"] = (
            campaign,
            SHARD,
            Claimed(message.message_id, 1, expired),
        )
        await unit.receive(launched(campaign, [EMAIL_STEP], at=unit.clock.now), message)
        await eventually(lambda: _outcomes(unit, 1))
        await eventually(lambda: _published(unit, 1))

    assert f"{message.message_id}:2" in unit.store.claims
    (sent,) = unit.published("message.sent")
    assert sent.retried and unit.store.outcomes()[message.message_id].attempt == 2


async def test_a_message_another_sender_holds_a_live_claim_of_is_not_sent_meanwhile() -> None:
    campaign = "c-held"
    held, free = (
        due(campaign, "p-held", at=TEN_AM_CHICAGO),
        due(campaign, "p-free", at=TEN_AM_CHICAGO),
    )
    async with running_sender() as unit:
        later = _wall() + timedelta(minutes=5)
        claimed = Claimed(held.message_id, 1, later)
        unit.store.claims[f"{held.message_id}:1"] = (campaign, SHARD, claimed)
        await unit.receive(launched(campaign, [EMAIL_STEP], at=unit.clock.now), held, free)
        await eventually(lambda: _outcomes(unit, 1))
        await asyncio.sleep(0.1)  # several more ticks

    assert [m.patient_id for m in unit.channels[Channel.EMAIL].sent] == ["p-free"]
    assert held.message_id not in unit.store.outcomes()


async def test_provider_refusals_fail_at_once_and_transient_errors_after_every_attempt() -> None:
    campaign = "c-failing"
    async with running_sender(send_attempts=3) as unit:
        unit.channels[Channel.EMAIL].failures += [
            PermanentProviderError("550 mailbox unavailable"),
            *[TransientProviderError("451 try later")] * 3,
        ]
        await unit.receive(launched(campaign, [EMAIL_STEP, SMS_STEP], at=unit.clock.now))
        await unit.receive(due(campaign, "p-1", at=unit.clock.now))
        await eventually(lambda: _outcomes(unit, 1))
        await unit.receive(due(campaign, "p-2", at=unit.clock.now))
        await eventually(lambda: _outcomes(unit, 2))
        await eventually(lambda: _published(unit, 2))

    reasons = {o.patient_id: (o.outcome.value, o.reason) for o in unit.published("message.sent")}
    assert reasons == {
        "p-1": ("FAILED", "550 mailbox unavailable"),
        "p-2": ("FAILED", "gave up after 3 attempts: 451 try later"),
    }
    assert unit.published("message.due") == [], "a failed step starts no next step"


async def test_a_step_the_campaign_lacks_fails_with_the_reason_without_a_provider_call() -> None:
    campaign = "c-no-step"
    async with running_sender() as unit:
        await unit.receive(
            launched(campaign, [EMAIL_STEP], at=unit.clock.now),
            due(campaign, "p-1", at=unit.clock.now, variant="B"),
        )
        await eventually(lambda: _outcomes(unit, 1))

    (outcome,) = unit.store.outcomes().values()
    assert outcome.outcome == "FAILED"
    assert outcome.reason == "template: the campaign has no step 1 of variant 'B'"
    assert unit.channels[Channel.EMAIL].sent == []


async def test_a_paused_campaign_holds_and_a_cancelled_one_skips_what_is_queued() -> None:
    campaign = "c-status"
    async with running_sender() as unit:
        start = unit.clock.now
        await unit.receive(
            launched(campaign, [EMAIL_STEP], at=start - timedelta(minutes=2)),
            status_changed(campaign, CampaignStatus.PAUSED, start - timedelta(minutes=1)),
            due(campaign, "p-1", at=start),
        )
        ticks = unit.sender.ticks
        await eventually(lambda: _ticked(unit, ticks + 5))
        assert unit.store.claims == {}, "a paused campaign claims nothing"

        await unit.receive(status_changed(campaign, CampaignStatus.CANCELLED, start))
        await eventually(lambda: _outcomes(unit, 1))

    (outcome,) = unit.store.outcomes().values()
    assert (outcome.outcome, outcome.reason) == ("SKIPPED", "campaign cancelled")
    assert unit.channels[Channel.EMAIL].sent == []


async def test_a_message_handed_over_by_this_process_is_sent_without_reading_it_back() -> None:
    campaign = "c-handed"
    async with running_sender() as unit:
        await unit.receive(launched(campaign, [EMAIL_STEP], at=unit.clock.now))
        await eventually(lambda: _knows(unit, campaign))
        envelope = Envelope.wrap(
            due(campaign, "p-1", at=unit.clock.now), source="t", clinic_id=CLINIC
        )
        message = queued_message(envelope, "batch-1", SHARD)
        await unit.store.store_messages([message])
        assert unit.sender.hand_over([message])
        await eventually(lambda: _outcomes(unit, 1))

    assert unit.store.queued_batch_notices == {}, "nothing was announced"
    assert [m.message_id for m in unit.channels[Channel.EMAIL].sent] == [message.message_id]


async def _published(unit: Unit, count: int) -> bool:
    return len(unit.producer.published) >= count


async def _ticked(unit: Unit, count: int) -> bool:
    return unit.sender.ticks >= count


async def _knows(unit: Unit, campaign: str) -> bool:
    return campaign in unit.sender.states


async def test_a_replica_sends_only_its_shards_and_reads_a_shard_it_is_given() -> None:
    campaign = "c-shards"
    async with running_sender(owns_shard=False) as unit:
        await unit.receive(launched(campaign, [EMAIL_STEP], at=unit.clock.now))
        # another replica's consumer stored a message of shard 0, which this one does not own
        envelope = Envelope.wrap(
            due(campaign, "p-1", at=unit.clock.now), source="t", clinic_id=CLINIC
        )
        message = queued_message(envelope, "batch-other", SHARD)
        await unit.store.store_messages([message])
        await eventually(lambda: _knows(unit, campaign))
        await ticks_of(unit, 5)
        assert unit.channels[Channel.EMAIL].sent == [], "not its shard"

        unit.sender.shards.assigned(frozenset({("message.due", SHARD)}))
        await eventually(lambda: _outcomes(unit, 1))

    assert [m.message_id for m in unit.channels[Channel.EMAIL].sent] == [message.message_id]


async def test_a_shard_taken_away_is_not_sent_from_any_more() -> None:
    campaign = "c-revoked"
    async with running_sender() as unit:
        await unit.receive(launched(campaign, [EMAIL_STEP], at=unit.clock.now - timedelta(hours=1)))
        await eventually(lambda: _knows(unit, campaign))
        unit.sender.shards.revoked(frozenset({("message.due", SHARD)}))
        unit.sender.shards.assigned(frozenset())
        # stored by this process's consumer after the rebalance: announced for the new owner
        await unit.receive(due(campaign, "p-1", at=unit.clock.now))
        await ticks_of(unit, 5)

    assert unit.channels[Channel.EMAIL].sent == []
    (notice,) = unit.store.queued_batch_notices.values()
    assert notice.shard == SHARD


async def test_messages_claimed_before_their_shard_moved_are_given_up_not_claimed_again() -> None:
    """A replica that lost a shard while its slots held claimed messages of it leaves them to
    the new owner: it neither sends them nor claims them again (it used to put them back in
    its queue and claim them again and again, never sending, while the new owner waited)."""
    campaign = "c-moved"
    gate = asyncio.Event()
    async with running_sender(email_concurrency=1, claim_ttl_seconds=2.0) as unit:
        unit.channels[Channel.EMAIL].gate = gate
        launch = launched(campaign, [EMAIL_STEP], at=unit.clock.now - timedelta(hours=1))
        await unit.receive(launch, *(due(campaign, f"p-{n}", at=unit.clock.now) for n in range(4)))
        await eventually(lambda: _claimed(unit, 4))  # one at the provider, three waiting
        unit.sender.shards.revoked(frozenset({("message.due", SHARD)}))
        unit.sender.shards.assigned(frozenset())
        gate.set()
        await asyncio.sleep(3.5)  # past the claims' expiry: a second attempt would be claimed

    assert sorted(unit.store.claims) == sorted(
        f"{message_id}:1" for message_id in {c.split(":")[0] for c in unit.store.claims}
    ), "no message was claimed again"
    assert len(unit.channels[Channel.EMAIL].sent) <= 1, "only the one already at the provider"


async def _claimed(unit: Unit, count: int) -> bool:
    return len(unit.store.claims) >= count


async def test_a_sender_that_read_no_news_for_a_while_reads_every_clinics_checks_again() -> None:
    """News is pruned by age: a sender that may have missed some (its last read older than
    half the time news is kept) must not trust the responses it cached."""
    campaign = "c-stale"
    async with running_sender() as unit:
        launch = launched(campaign, [EMAIL_STEP], at=unit.clock.now - timedelta(hours=1))
        await unit.receive(launch, due(campaign, "p-1", at=unit.clock.now))
        await eventually(lambda: _outcomes(unit, 1))  # the clinic's checks are cached now
        # an unsubscribe whose news was pruned before this sender read it
        unsubscribed = responded(campaign, "p-2", ResponseKind.UNSUBSCRIBED, unit.clock.now, None)
        await unit.store.store_responses(
            [Envelope.wrap(unsubscribed, source="t", clinic_id=CLINIC)], unit.clock.now
        )
        unit.store.news_notices.clear()
        unit.sender.view._last_read -= NEWS_KEPT.total_seconds()
        await unit.receive(due(campaign, "p-2", at=unit.clock.now))
        await eventually(lambda: _outcomes(unit, 2))

    assert [m.patient_id for m in unit.channels[Channel.EMAIL].sent] == ["p-1"]


async def ticks_of(unit: Unit, count: int) -> None:
    target = unit.sender.ticks + count
    await eventually(lambda: _ticked(unit, target))


def test_a_replicas_rate_is_its_share_of_the_platforms() -> None:
    half = limiter_at(10 * 0.5)
    assert half is not None and (half.max_rate, half.time_period) == (5.0, 1.0)
    slow = limiter_at(0.5)  # one every two seconds
    assert slow is not None and (slow.max_rate, slow.time_period) == (1.0, 2.0)
    assert limiter_at(0.0) is None
