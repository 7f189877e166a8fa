"""The deliverer: one replica at a time (lease `webhook-deliverer`) posts each due delivery to
its endpoint, signed, and records the attempt; a failure is retried with backoff for a day.

At least once: an attempt whose answer came but whose record did not (a crash) is made again,
with the same `Reengage-Webhook-Id`, which receivers deduplicate on. Webhooks are a trickle
beside the sends (one per response), so one replica and a few posts at once carry them.
"""

import asyncio
import contextlib
import time
from collections.abc import Callable
from datetime import datetime

import httpx
import structlog

from dispatch_svc.domain.webhooks import SIGNATURE_HEADER, next_attempt_at, sign, succeeded
from dispatch_svc.webhooks import store
from reengage_common.leases import Lease

log = structlog.get_logger(__name__)
USER_AGENT = "Reengage-Webhooks/1"
AT_ONCE = 8
ERROR_MAX_LENGTH = 300


class Deliverer:
    def __init__(
        self,
        client: Callable[[], httpx.AsyncClient],
        clock: Callable[[], datetime],
        tick_seconds: float,
    ) -> None:
        self._client = client
        self._clock = clock
        self._tick = tick_seconds
        self._woken = asyncio.Event()

    def wake(self) -> None:
        self._woken.set()

    async def run(self, lease: Lease) -> None:
        async with self._client() as client:
            while True:
                await self.deliver_due(client)
                self._woken.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._woken.wait(), self._tick)

    async def deliver_due(self, client: httpx.AsyncClient) -> int:
        due = await store.due_deliveries(self._clock(), limit=200)
        deliveries = await store.deliveries_by_id([p.id for p in due])
        gate = asyncio.Semaphore(AT_ONCE)

        async def one(pending: store.WebhookPending) -> None:
            async with gate:
                await self._attempt(client, pending, deliveries.get(pending.id))

        await asyncio.gather(*(one(p) for p in due))
        return len(due)

    async def _attempt(
        self,
        client: httpx.AsyncClient,
        pending: store.WebhookPending,
        delivery: store.WebhookDelivery | None,
    ) -> None:
        endpoint = (await store.endpoint_states(pending.clinic_id)).get(
            delivery.endpoint_id if delivery else ""
        )
        state = endpoint[1] if endpoint else None
        if delivery is None or state is None or not state["enabled"]:
            await pending.delete()  # the endpoint was deleted or disabled: nothing to deliver
            return
        now = self._clock()
        body = delivery.body.encode()
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "reengage-webhook-id": delivery.id,
            "reengage-event": delivery.event_type,
            SIGNATURE_HEADER: sign(state["secret"], int(now.timestamp()), body),
        }
        started = time.perf_counter()
        status_code, error = None, None
        try:
            answer = await client.post(state["url"], content=body, headers=headers)
            status_code = answer.status_code
            if not succeeded(status_code):
                error = answer.text[:ERROR_MAX_LENGTH] or f"HTTP {status_code}"
        except httpx.HTTPError as exc:
            error = (f"{type(exc).__name__}: {exc}")[:ERROR_MAX_LENGTH]
        attempt = pending.attempts + 1
        next_at = (
            None if succeeded(status_code) else next_attempt_at(delivery.created_at, attempt, now)
        )
        outcome = "DELIVERED" if succeeded(status_code) else ("RETRYING" if next_at else "GAVE_UP")
        record = store.WebhookAttempt(
            id=f"{delivery.id}:{attempt}",
            delivery_id=delivery.id,
            endpoint_id=delivery.endpoint_id,
            clinic_id=delivery.clinic_id,
            event_type=delivery.event_type,
            attempt=attempt,
            at=now,
            status_code=status_code,
            error=error,
            duration_ms=int((time.perf_counter() - started) * 1000),
            outcome=outcome,
            next_at=next_at,
        )
        await store.record_attempt(record, pending)
        log.info(
            "webhook.attempted",
            delivery_id=delivery.id,
            attempt=attempt,
            status_code=status_code,
            outcome=outcome,
        )
