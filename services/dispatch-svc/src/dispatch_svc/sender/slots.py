"""Each channel's sender slots: `concurrency` tasks that take a claimed, composed message,
send it under the channel's rate limit with retries on transient errors, and wait until its
outcome is stored (group commit, see `recorder`) before they take the next one. So at most
`concurrency` messages of a channel have reached a provider without a stored outcome: the
most a crash can repeat.

A channel's rate limit is the platform's: each replica's slots keep to the share of it that
its shards are of all shards (`reengage_common.shares`), rescaled when the shards move.
"""

import asyncio
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import timedelta

import structlog
from aiolimiter import AsyncLimiter
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from dispatch_svc.channels import (
    ChannelSender,
    Outgoing,
    PermanentProviderError,
    Receipt,
    TransientProviderError,
)
from dispatch_svc.config import DispatchSettings
from dispatch_svc.domain.campaigns import CampaignState
from dispatch_svc.domain.outcomes import Outcome, provider_failed, sent
from dispatch_svc.metrics import PROVIDER_RETRIES
from dispatch_svc.sender.claims import CLAIM_MARGIN, Work, wall_clock
from dispatch_svc.sender.recorder import OutcomeRecorder
from reengage_common.clock import Clock
from reengage_common.events import Channel
from reengage_common.shares import PartitionShare

log = structlog.get_logger(__name__)
DRAIN_SECONDS = 5.0


class _NotOurs(Exception):
    """The message's shard was taken away, or its claim is about to expire: it is left to
    whoever owns it now."""


def channel_limits(settings: DispatchSettings) -> dict[Channel, tuple[int, float]]:
    """(concurrency, rate per second or 0 for none) of each channel."""
    return {
        Channel.EMAIL: (settings.email_concurrency, settings.email_rate_per_second),
        Channel.SMS: (settings.sms_concurrency, settings.sms_rate_per_second),
        Channel.MAIL: (settings.mail_concurrency, settings.mail_rate_per_second),
    }


class Slots:
    def __init__(
        self,
        settings: DispatchSettings,
        channels: Mapping[Channel, ChannelSender],
        clock: Clock,
        shards: PartitionShare,
        recorder: OutcomeRecorder,
        states: Mapping[str, CampaignState],
        wake: Callable[[], None],
    ) -> None:
        self.settings, self.channels, self.clock = settings, channels, clock
        self._shards, self._recorder, self._states, self._wake = shards, recorder, states, wake
        self._limits = channel_limits(settings)
        self._limiters: dict[Channel, AsyncLimiter | None] = {}
        self._share = -1.0
        self.rescale()
        self._work: dict[Channel, asyncio.Queue[tuple[Work, Outgoing]]] = {
            c: asyncio.Queue() for c in Channel
        }
        self._pending: dict[Channel, int] = defaultdict(int)  # claimed, not yet finished
        self._sending = 0  # slots between taking a message and storing its outcome
        self._draining = False

    def start(self) -> list["asyncio.Task[None]"]:
        tasks: list[asyncio.Task[None]] = []
        for channel in Channel:
            concurrency, _ = self._limits[channel]
            tasks += [
                asyncio.create_task(self._slot(channel), name=f"dispatch-{channel}")
                for _ in range(concurrency)
            ]
        return tasks

    def rescale(self) -> None:
        """Each channel's limiter at this replica's share of the channel's rate."""
        share = self._shards.share()
        if share == self._share:
            return
        self._share = share
        for channel in Channel:
            _, rate = self._limits[channel]
            self._limiters[channel] = limiter_at(rate * share) if rate > 0 else None

    def put(self, item: Work, outgoing: Outgoing) -> None:
        channel = item.entry.message.channel
        self._pending[channel] += 1
        self._work[channel].put_nowait((item, outgoing))

    def room(self, channel: Channel) -> int:
        """How many more messages of `channel` may be claimed now: a few rounds of its slots,
        so claims are taken just before their send and never sit long enough to expire."""
        concurrency, _ = self._limits[channel]
        return min(self.settings.claim_batch, 4 * concurrency) - self._pending[channel]

    def claim_floor(self, channel: Channel) -> int:
        """Claims are taken a slots' round at a time (one insert for many), not one per freed
        slot: three rounds are still queued meanwhile, so no slot waits for them."""
        concurrency, _ = self._limits[channel]
        return max(1, min(self.settings.claim_batch, 4 * concurrency) // 4)

    async def drain(self) -> None:
        """On a clean stop, let the sends under way finish and store their outcomes; what was
        claimed but not started waits for its claim to expire (a successor retries it)."""
        self._draining = True
        deadline = time.monotonic() + DRAIN_SECONDS
        for _ in range(int(DRAIN_SECONDS / 0.02)):
            if not self._sending or time.monotonic() > deadline:
                return
            await asyncio.sleep(0.02)

    async def _slot(self, channel: Channel) -> None:
        queue = self._work[channel]
        while not self._draining:
            item, outgoing = await queue.get()
            if self._draining:
                break
            self._sending += 1
            try:
                outcome = await self._deliver(channel, item, outgoing)
                if outcome is None and not self._shards.holds(item.entry.message.shard):
                    # its shard was taken away: the new owner sends it once our claim expired
                    # (requeued here, it would be claimed again and again, never sent)
                    item.queue.forget(item.entry.message_id)
                elif outcome is None:  # not sent: keep the claim for a later pass
                    item.entry.held_claim = (item.claim_expires, item.retried)
                    item.queue.release(item.entry.message_id)
                else:
                    await self._recorder.record(outcome)
            except asyncio.CancelledError:
                raise
            except Exception:  # never lose the slot; the claim expires and a retry follows
                log.exception("dispatch.slot_failed", message_id=item.entry.message_id)
                item.queue.parked[item.entry.message_id] = wall_clock() + _ttl(self.settings)
                item.queue.release(item.entry.message_id)
            finally:
                self._sending -= 1
                self._pending[channel] -= 1
                self._wake()

    async def _deliver(self, channel: Channel, item: Work, outgoing: Outgoing) -> Outcome | None:
        snapshot = self._states[item.queue.campaign_id].snapshot
        sender = self.channels[channel]
        message, attempt, retried = item.entry.message, item.attempt, item.retried
        try:
            receipt = await self._send(channel, sender, item, outgoing)
        except (PermanentProviderError, TransientProviderError) as error:
            return provider_failed(
                message,
                error,
                provider=sender.name,
                attempts=self.settings.send_attempts,
                attempt=attempt,
                retried=retried,
                at=self.clock(),
            )
        except _NotOurs:
            return None  # another replica may own this message by now
        return sent(message, receipt, snapshot, attempt=attempt, retried=retried, at=self.clock())

    def _check_ours(self, item: Work) -> None:
        """Just before a provider call: the shard is still ours, and so is the claim for
        longer than the call may take."""
        if not self._shards.holds(item.entry.message.shard):
            raise _NotOurs
        if item.claim_expires <= wall_clock() + CLAIM_MARGIN:
            raise _NotOurs

    async def _acquire(self, channel: Channel) -> None:
        limiter = self._limiters[channel]
        if limiter is not None:
            await limiter.acquire()

    async def _send(
        self, channel: Channel, sender: ChannelSender, item: Work, outgoing: Outgoing
    ) -> Receipt:
        """The provider call, retried with backoff on transient errors (tenacity)."""
        await self._acquire(channel)
        self._check_ours(item)
        try:
            return await sender.send(outgoing)
        except TransientProviderError:
            if self.settings.send_attempts == 1:
                raise
        # the first retry waits too; later ones back off exponentially (tenacity)
        await asyncio.sleep(min(0.1, self.settings.retry_wait_max_seconds))
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type(TransientProviderError),
            stop=stop_after_attempt(self.settings.send_attempts - 1),
            wait=wait_exponential(multiplier=0.1, max=self.settings.retry_wait_max_seconds),
            reraise=True,
        ):
            with attempt:
                PROVIDER_RETRIES.labels(channel.value).inc()
                await self._acquire(channel)
                self._check_ours(item)
                return await sender.send(outgoing)
        raise AssertionError("tenacity ends with a result or an error")


def _ttl(settings: DispatchSettings) -> timedelta:
    return timedelta(seconds=settings.claim_ttl_seconds)


def limiter_at(per_second: float) -> AsyncLimiter | None:
    """`per_second` as a limiter (aiolimiter takes at most `max_rate` at once, so a rate under
    one a second is one per period); None when this replica has no share (it sends nothing)."""
    if per_second <= 0:
        return None
    return AsyncLimiter(max(1.0, per_second), max(1.0, per_second) / per_second)
