"""Channel fallback (issue 22 #8) end to end: the real campaign-svc, audience-svc,
dispatch-svc (SMTP to Mailpit, Twilio's stand-in), tracking-svc (its email-events webhook),
the gateway's REST API, Kafka and FerretDB.

A campaign says "an email that bounces falls back to SMS". Ada's email goes out; the email
provider reports a hard bounce to tracking-svc, which publishes BOUNCED naming the message;
audience-svc, knowing Ada consents to SMS and has a phone, publishes step 1's fallback by SMS;
dispatch sends it at the next send time, and tracking counts it as a fallback and shows it in
Ada's history. The bounce reported again changes nothing: one fallback per step.
"""

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from front_office import KEY, admin_headers, adult_patient, front_office, seen_400_days_ago
from kit import FakeClock, dispatch_stack, sent_of, unique, utc

from reengage_common.events import Channel, SendOutcome
from reengage_testing import eventually
from tracking_svc.app import create_app as tracking_app
from tracking_svc.config import TrackingSettings

pytestmark = pytest.mark.infra

NINE_AM_CHICAGO = utc(2026, 11, 26, 15, 0)
CAMPAIGNS = "/api/booking/campaigns"
EMAIL_SECRET = "fallback-email-secret"
PUBLIC_PORT = 8105
CAMPAIGN: dict[str, Any] = {
    "name": "Recall with fallback",
    "targeting": {"inactiveDays": 180},
    "channels": ["EMAIL"],
    "messageTemplates": [
        {"channel": "EMAIL", "sequence": 1, "subject": "We miss you", "body": "{{ bookingLink }}"}
    ],
    "schedule": {"sendTimes": ["10:00", "16:00"], "timezone": "America/Chicago"},
    "channelFallback": [
        {"channel": "EMAIL", "to": "SMS", "body": "{{ clinic.name }}: we could not email you."}
    ],
}
PHONE = "+15557030001"


async def test_a_bounced_email_falls_back_to_sms_once_counted_as_a_fallback(infra) -> None:
    clock = FakeClock(NINE_AM_CHICAGO)
    clinic, ada = unique("clinic-fallback"), unique("p-ada")
    async with (
        dispatch_stack(infra, "fallback", clock) as stack,
        front_office(stack.settings, clock, clinic) as gateway,
        tracking(stack.settings, clock) as (tracking_api, webhooks),
    ):
        sent = await stack.bus.watch("message.sent")
        # given Ada, who has an email and a phone and consents to SMS
        await stack.bus.publish(
            adult_patient(ada, "Ada", PHONE), seen_400_days_ago(ada, clock), clinic_id=clinic
        )
        headers = admin_headers(clinic)

        # when the clinic launches the campaign and the email goes out at 10:00
        created = await gateway.post(CAMPAIGNS, json=CAMPAIGN, headers=headers)
        assert created.status_code == 201, created.text
        campaign_id = created.json()["id"]
        assert created.json()["channelFallback"][0]["to"] == "SMS"
        launched = await gateway.post(f"{CAMPAIGNS}/{campaign_id}/launch", headers=headers)
        assert launched.json()["status"] == "ACTIVE", launched.text
        clock.now = NINE_AM_CHICAGO + timedelta(hours=1)
        await eventually(lambda: _outcomes(sent, campaign_id, 1), within=60, interval=0.2)
        [email] = sent_of(sent, campaign_id)
        assert (email.channel, email.outcome) == (Channel.EMAIL, SendOutcome.SENT)

        # and the email provider reports a hard bounce (twice: a retried webhook)
        bounce = [{"messageId": email.provider_message_id, "type": "bounce", "bounceType": "hard"}]
        for _ in range(2):
            await _report(webhooks, bounce)

        # then step 1 goes again by SMS at the next send time (16:00), once
        clock.now = NINE_AM_CHICAGO + timedelta(hours=7)
        await eventually(lambda: _outcomes(sent, campaign_id, 2), within=90, interval=0.2)
        fallback = sent_of(sent, campaign_id)[1]
        assert (fallback.channel, fallback.outcome) == (Channel.SMS, SendOutcome.SENT)
        assert (fallback.sequence, fallback.fallback_for) == (1, email.message_id)
        [sms] = await stack.sms_to(PHONE)
        assert "we could not email you" in sms["body"]

        # and tracking counts it as a fallback and shows it in Ada's history
        headers = {"authorization": admin_headers(clinic)["authorization"]}
        figures = await _stats_when(tracking_api, campaign_id, headers)
        assert (figures["sent"], figures["bounced"], figures["fallbacksSent"]) == (2, 1, 1)
        by_channel = {row["channel"]: row["fallbacks"] for row in figures["byChannel"]}
        assert by_channel == {"EMAIL": 0, "SMS": 1}
        recipients = await tracking_api.get(f"/campaigns/{campaign_id}/recipients", headers=headers)
        [recipient] = recipients.json()["items"]
        history = [(h["channel"], h["outcome"], h["fallbackFor"]) for h in recipient["history"]]
        assert history == [("EMAIL", "SENT", None), ("SMS", "SENT", email.message_id)]
        assert len(sent_of(sent, campaign_id)) == 2, "one fallback per step"
        assert len(await stack.sms_to(PHONE)) == 1


@contextlib.asynccontextmanager
async def tracking(
    dispatch_settings: Any, clock: FakeClock
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """tracking-svc on dispatch's topics and databases: its API and its public routes."""
    settings = TrackingSettings(
        service="tracking-svc",
        kafka_topic_prefix=dispatch_settings.kafka_topic_prefix,
        mongo_db_prefix=dispatch_settings.mongo_db_prefix,
        jwt_public_key=KEY.public_pem,
        public_base_url="https://track.example",
        public_port=PUBLIC_PORT,
        email_webhook_secret=EMAIL_SECRET,
    )
    app = tracking_app(settings, clock=clock)
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=30) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with (
            httpx.AsyncClient(transport=transport, base_url="http://tracking") as api,
            httpx.AsyncClient(
                transport=transport, base_url=f"http://tracking:{PUBLIC_PORT}"
            ) as public,
        ):
            yield api, public


async def _report(webhooks: httpx.AsyncClient, events: list[dict[str, Any]]) -> None:
    """The email provider's event webhook; tracking may not know the message yet (it keeps
    the callback and applies it when message.sent arrives)."""
    answer = await webhooks.post(
        "/webhooks/email/events", json=events, headers={"X-Webhook-Secret": EMAIL_SECRET}
    )
    assert answer.status_code < 300, answer.text


async def _stats_when(
    api: httpx.AsyncClient, campaign_id: str, headers: dict[str, str]
) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    async def counted() -> bool:
        answer = await api.get(f"/campaigns/{campaign_id}/stats", headers=headers)
        seen.update(answer.json() if answer.status_code == 200 else {})
        return seen.get("fallbacksSent") == 1 and seen.get("bounced") == 1

    await eventually(counted, within=30, interval=0.3)
    return seen


async def _outcomes(sent: list[Any], campaign_id: str, count: int) -> bool:
    return len(sent_of(sent, campaign_id)) >= count
