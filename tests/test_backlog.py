"""A consumer's backlog leaves the staff's pages answering.

tracking-svc runs as `./dev up` runs it: an `api` process and a `worker` process (the service
shell's SERVICE_ROLE). While the worker works through 40,000 events of a campaign that is
sending, the gateway's campaigns page with its counters answers every time, within the
gateway's read deadline (counters available, no NotAvailable). Latencies are printed, not
asserted: machines here are noisy.
"""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from reengage_common.auth import generate_signing_key, issue_token
from reengage_common.bus import event_headers, make_producer, send_in_batches
from reengage_common.events import (
    Channel,
    Contact,
    Envelope,
    MessageDue,
    MessageSent,
    SendOutcome,
    message_id,
)
from reengage_common.settings import Settings
from reengage_testing import (
    COMPLETE_CLINIC_PROFILE,
    ServiceProcess,
    eventually,
    free_port,
)

pytestmark = pytest.mark.infra

KEY = generate_signing_key()
CLINIC = "clinic-backlog"
RECIPIENTS = 20_000
PAGE = """{ campaigns(first: 50) { edges { node {
  id statsAvailable targetCount sentCount responseCount rebookedCount } } } }"""


@pytest.fixture(scope="module")
async def system(
    infra: Settings, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[dict[str, Any]]:
    logs = tmp_path_factory.mktemp("backlog")
    prefix = f"{infra.kafka_topic_prefix}backlog-{uuid.uuid4().hex[:6]}."
    unused = f"http://127.0.0.1:{free_port()}"  # audience and dispatch: not part of this test
    env = {
        "KAFKA_TOPIC_PREFIX": prefix,
        "MONGO_DB_PREFIX": f"{infra.mongo_db_prefix}backlog_",
        "JWT_PUBLIC_KEY": KEY.public_pem,
    }
    campaign = ServiceProcess("campaign_svc", env, str(logs / "campaign.log"))
    api = ServiceProcess(
        "tracking_svc", {**env, "SERVICE_ROLE": "api"}, str(logs / "tracking-api.log")
    )
    worker = ServiceProcess(
        "tracking_svc", {**env, "SERVICE_ROLE": "worker"}, str(logs / "tracking-worker.log")
    )
    gateway_env = {
        **env,
        "CAMPAIGN_SVC_URL": campaign.url,
        "TRACKING_SVC_URL": api.url,
        "AUDIENCE_SVC_URL": unused,
        "DISPATCH_SVC_URL": unused,
        "GATEWAY_READ_DEADLINE_SECONDS": "2",
    }
    gateway = ServiceProcess("gateway", gateway_env, str(logs / "gateway.log"))
    services = [campaign.start(), api.start(), worker.start()]
    processes = [*services, gateway.start()]
    try:
        await asyncio.gather(*(process.wait_ready() for process in services))
        # The gateway is not "ready" without audience-svc and dispatch-svc; it answers.
        await eventually(lambda: answers(gateway.url), within=60)
        yield {"gateway": gateway, "prefix": prefix}
    finally:
        for process in processes:
            process.stop()


async def answers(url: str) -> bool:
    async with httpx.AsyncClient(base_url=url, timeout=2) as client:
        try:
            return (await client.get("/healthz")).status_code == 200
        except httpx.HTTPError:
            return False


def sending(campaign_id: str, recipients: int) -> list[Envelope[Any]]:
    """What audience-svc and dispatch-svc publish for a campaign: each patient's step, sent."""
    at = datetime.now(UTC)
    events: list[Any] = []
    for n in range(recipients):
        patient = f"p-{n:06d}"
        common = {
            "message_id": message_id(campaign_id, patient, 1, 1),
            "campaign_id": campaign_id,
            "patient_id": patient,
            "sequence": 1,
            "channel": Channel.EMAIL,
            "variant": "A",
        }
        events.append(
            MessageDue(
                **common,
                due_at=at,
                contact=Contact(email=f"{patient}@example.com"),
                merge_data={"patient": {"firstName": f"F{n}"}},
            )
        )
        events.append(
            MessageSent(**common, outcome=SendOutcome.SENT, provider="smtp", cost_cents=0, at=at)
        )
    return [Envelope.wrap(event, source="test", clinic_id=CLINIC, at=at) for event in events]


async def publish(settings: Settings, prefix: str, envelopes: list[Envelope[Any]]) -> None:
    producer = make_producer(settings)
    await producer.start()
    try:
        records = [
            (prefix + e.type, e.key, e.to_json(), event_headers(e.type, None)) for e in envelopes
        ]
        await asyncio.gather(*await send_in_batches(producer, records))
    finally:
        await producer.stop()


async def launched_campaign(client: httpx.AsyncClient) -> str:
    assert (await client.put("/api/booking/clinic", json=COMPLETE_CLINIC_PROFILE)).is_success
    start = datetime.now(UTC) - timedelta(minutes=1)
    created = await client.post(
        "/api/booking/campaigns",
        json={
            "name": "Backlog recall",
            "targeting": {"inactiveDays": 180},
            "channels": ["EMAIL"],
            "messageTemplates": [
                {"channel": "EMAIL", "sequence": 1, "subject": "Hi", "body": "{{ bookingLink }}"}
            ],
            "schedule": {"startDate": start.isoformat(), "sendTimes": ["10:00"], "timezone": "UTC"},
        },
    )
    assert created.status_code == 201, created.text
    campaign_id = created.json()["id"]
    launched = await client.post(f"/api/booking/campaigns/{campaign_id}/launch")
    assert launched.is_success, launched.text
    return campaign_id


async def test_a_consumer_backlog_leaves_the_campaigns_page_answering(
    system: dict[str, Any], infra: Settings
) -> None:
    token = issue_token(KEY, user_id="u-admin", clinic_id=CLINIC, role="clinic_admin")
    headers = {"authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        base_url=system["gateway"].url, headers=headers, timeout=30
    ) as client:
        campaign_id = await launched_campaign(client)
        await publish(infra, system["prefix"], sending(campaign_id, RECIPIENTS))
        latencies: list[float] = []
        during_backlog = 0
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            started = time.perf_counter()
            answer = await client.post("/graphql", json={"query": PAGE})
            latencies.append(time.perf_counter() - started)
            assert answer.status_code == 200, answer.text
            document = answer.json()
            assert "errors" not in document, document
            [node] = [e["node"] for e in document["data"]["campaigns"]["edges"]]
            # Counters available: tracking-svc answered within the gateway's read deadline.
            assert node["statsAvailable"], f"counters missing after {latencies[-1]:.2f} s"
            if node["sentCount"] == RECIPIENTS:
                break
            during_backlog += 1
            await asyncio.sleep(0.1)
        else:
            pytest.fail("tracking-svc's worker did not take in the campaign's events in time")
    latencies.sort()
    print(
        f"\ncampaigns page during a backlog of {2 * RECIPIENTS:,} events: {during_backlog} pages, "
        f"p50 {latencies[len(latencies) // 2] * 1000:.0f} ms, "
        f"p99 {latencies[int(len(latencies) * 0.99)] * 1000:.0f} ms, "
        f"max {latencies[-1] * 1000:.0f} ms"
    )
    assert during_backlog >= 3, "the backlog was gone before the page was asked: no evidence"
