"""A GraphQL client over graphql-transport-ws sees a running campaign's figures change live:
the gateway (served by uvicorn) in front of the real campaign-svc and tracking-svc, with events
travelling through the real Kafka and figures stored in the real FerretDB."""

import asyncio
import contextlib
import json
import uuid
from datetime import UTC, datetime

import pytest
import uvicorn
from websockets.asyncio.client import connect

from campaign_svc.app import create_app as campaign_app
from campaign_svc.config import CampaignSettings
from gateway.app import create_app as gateway_app
from reengage_common.auth import generate_signing_key, issue_token
from reengage_common.bus import EventPublisher, make_producer
from reengage_common.events import (
    Channel,
    Contact,
    Envelope,
    MessageDue,
    MessageSent,
    SendOutcome,
    message_id,
)
from reengage_testing import eventually, free_port, serving
from tracking_svc.app import create_app as tracking_app
from tracking_svc.config import TrackingSettings

pytestmark = pytest.mark.infra

T0 = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
CAMPAIGN = {
    "name": "Live recall",
    "targeting": {"inactiveDays": 180},
    "channels": ["EMAIL"],
    "messageTemplates": [
        {"channel": "EMAIL", "subject": "Hi", "body": "Hi {{ patient.firstName }}", "sequence": 1}
    ],
    "schedule": {"startDate": "2026-12-01T09:00:00Z", "sendTimes": ["10:00"]},
}
LIVE = """
subscription Live($id: ID!) {
  campaignStats(id: $id) { __typename ... on CampaignStats { sent recipients } }
}
"""


def wave(campaign_id: str, patients: range) -> list[Envelope]:
    envelopes = []
    for n in patients:
        patient, mid = f"live-{n}", message_id(campaign_id, f"live-{n}", 1, 1)
        common = {"message_id": mid, "campaign_id": campaign_id, "patient_id": patient}
        envelopes.append(
            MessageDue(
                **common,
                sequence=1,
                channel=Channel.EMAIL,
                due_at=T0,
                contact=Contact(email="a@b.c"),
            )
        )
        envelopes.append(
            MessageSent(
                **common, sequence=1, channel=Channel.EMAIL, outcome=SendOutcome.SENT, at=T0
            )
        )
    return [Envelope.wrap(e, source="tests", clinic_id="clinic-a") for e in envelopes]


async def test_a_graphql_client_receives_live_updates_of_a_running_campaign(
    infra, settings_for
) -> None:
    # given the gateway, campaign-svc and tracking-svc on one topic prefix, and a campaign
    prefix = f"{infra.kafka_topic_prefix}live-{uuid.uuid4().hex[:6]}."
    key = generate_signing_key()
    common = {"kafka_topic_prefix": prefix, "jwt_public_key": key.public_pem}
    token = issue_token(key, user_id="u-1", clinic_id="clinic-a", role="clinic_admin")
    headers = {"authorization": f"Bearer {token}"}
    tracking_settings = settings_for("tracking-svc", TrackingSettings, **common)
    producer = make_producer(tracking_settings)
    await producer.start()
    publisher = EventPublisher(tracking_settings, producer)
    port = free_port()
    async with (
        serving(
            campaign_app(settings_for("campaign-svc", CampaignSettings, **common))
        ) as campaigns,
        serving(tracking_app(tracking_settings)) as tracking,
    ):
        transports = {"campaign-svc": campaigns._transport, "tracking-svc": tracking._transport}
        gateway = gateway_app(settings_for("gateway", **common), transports)
        server = uvicorn.Server(
            uvicorn.Config(gateway, host="127.0.0.1", port=port, log_config=None, lifespan="on")
        )
        serve = asyncio.create_task(server.serve())
        try:

            async def started() -> bool:
                return server.started

            await eventually(started)
            created = await campaigns.post("/campaigns", json=CAMPAIGN, headers=headers)
            campaign_id = created.json()["id"]

            # when a client subscribes and the campaign's messages go out in two waves
            updates = []
            async with connect(
                f"ws://127.0.0.1:{port}/graphql", subprotocols=["graphql-transport-ws"]
            ) as ws:
                await ws.send(json.dumps({"type": "connection_init", "payload": headers}))
                assert json.loads(await ws.recv())["type"] == "connection_ack"
                await ws.send(
                    json.dumps(
                        {
                            "id": "1",
                            "type": "subscribe",
                            "payload": {"query": LIVE, "variables": {"id": campaign_id}},
                        }
                    )
                )
                waves = iter([range(0, 5), range(5, 12)])
                while len(updates) < 3:
                    message = json.loads(await asyncio.wait_for(ws.recv(), timeout=60))
                    assert message["type"] == "next", message
                    updates.append(message["payload"]["data"]["campaignStats"])
                    next_wave = next(waves, None)
                    if next_wave is not None:
                        await publisher.publish_many(wave(campaign_id, next_wave))
        finally:
            server.should_exit = True
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(serve, timeout=30)
            await producer.stop()

    # then it saw the figures grow, pushed without asking again
    assert updates[0] == {"__typename": "CampaignStats", "sent": 0, "recipients": 0}
    sent = [update["sent"] for update in updates]
    assert sent == sorted(sent) and sent[-1] > 0 and len(set(sent)) >= 2
