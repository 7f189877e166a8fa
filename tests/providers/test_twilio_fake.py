import re
import time

import httpx
from fake_support import ACCOUNT_SID, AUTH_TOKEN, WEBHOOK_BASE, WebhookReceiver
from provider_fakes.twilio import TwilioFake
from provider_fakes.twilio_protocol import request_signature

MESSAGES = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
AUTH = (ACCOUNT_SID, AUTH_TOKEN)


def sms(to: str = "+15551230001", **extra: str) -> dict[str, str]:
    return {"To": to, "From": "+15005550006", "Body": "Time for a check-up?", **extra}


async def test_wrong_auth_token_is_refused_as_twilio_does(twilio: httpx.AsyncClient) -> None:
    answer = await twilio.post(MESSAGES, data=sms(), auth=(ACCOUNT_SID, "wrong"))

    assert answer.status_code == 401
    assert answer.json()["code"] == 20003
    assert answer.json()["message"] == "Authenticate"
    assert answer.json()["status"] == 401


async def test_a_message_is_created_with_twilios_shape(twilio: httpx.AsyncClient) -> None:
    answer = await twilio.post(MESSAGES, data=sms(), auth=AUTH)

    assert answer.status_code == 201
    message = answer.json()
    assert re.fullmatch(r"SM[0-9a-f]{32}", message["sid"])
    assert message["status"] == "queued"
    assert message["num_segments"] == "1"
    assert (message["to"], message["from"]) == ("+15551230001", "+15005550006")
    assert message["price"] is None
    assert message["date_created"].endswith("+0000")
    listed = (await twilio.get("/_fake/messages")).json()
    assert [m["sid"] for m in listed["messages"]] == [message["sid"]]


async def test_an_invalid_to_number_answers_21211(twilio: httpx.AsyncClient) -> None:
    answer = await twilio.post(MESSAGES, data=sms(to="555-1234"), auth=AUTH)

    assert answer.status_code == 400
    assert answer.json()["code"] == 21211


async def test_transient_failures_last_for_the_count_given(twilio: httpx.AsyncClient) -> None:
    await twilio.post("/_fake/behaviour", json={"mode": "transient", "count": 2})

    statuses = [(await twilio.post(MESSAGES, data=sms(), auth=AUTH)).status_code for _ in range(3)]

    assert statuses == [503, 503, 201]
    requests = (await twilio.get("/_fake/messages")).json()["requests"]
    assert [r["status"] for r in requests] == [503, 503, 201]


async def test_permanent_failure_answers_a_provider_error(twilio: httpx.AsyncClient) -> None:
    await twilio.post("/_fake/behaviour", json={"mode": "permanent"})

    answer = await twilio.post(MESSAGES, data=sms(), auth=AUTH)

    assert answer.status_code == 400
    assert answer.json()["code"] == 21610


async def test_a_listed_recipient_fails_and_others_do_not(twilio: httpx.AsyncClient) -> None:
    await twilio.post("/_fake/behaviour", json={"failRecipients": ["+15550009999"]})

    refused = await twilio.post(MESSAGES, data=sms(to="+15550009999"), auth=AUTH)
    accepted = await twilio.post(MESSAGES, data=sms(), auth=AUTH)

    assert (refused.status_code, accepted.status_code) == (400, 201)


async def test_rate_limited_answers_429_with_retry_after(twilio: httpx.AsyncClient) -> None:
    await twilio.post("/_fake/behaviour", json={"mode": "rate_limited"})

    answer = await twilio.post(MESSAGES, data=sms(), auth=AUTH)

    assert answer.status_code == 429
    assert answer.headers["retry-after"] == "1"


async def test_slow_mode_delays_then_succeeds(twilio: httpx.AsyncClient) -> None:
    await twilio.post("/_fake/behaviour", json={"mode": "slow", "seconds": 0.2})

    started = time.monotonic()
    answer = await twilio.post(MESSAGES, data=sms(), auth=AUTH)

    assert answer.status_code == 201
    assert time.monotonic() - started >= 0.2


async def test_an_unknown_mode_is_refused_naming_the_field(twilio: httpx.AsyncClient) -> None:
    answer = await twilio.post("/_fake/behaviour", json={"mode": "flaky"})

    assert answer.status_code == 400
    assert answer.json()["error"].startswith("mode:")


async def test_status_callback_is_signed_and_reports_delivered(
    twilio: httpx.AsyncClient, twilio_fake: TwilioFake, receiver: WebhookReceiver
) -> None:
    url = f"{WEBHOOK_BASE}/webhooks/twilio/status"
    created = await twilio.post(MESSAGES, data=sms(StatusCallback=url), auth=AUTH)
    for task in list(twilio_fake.tasks):
        await task

    [callback] = receiver.received
    assert callback["form"]["MessageSid"] == created.json()["sid"]
    assert callback["form"]["MessageStatus"] == "delivered"
    expected = request_signature(AUTH_TOKEN, url, callback["form"].items())
    assert callback["headers"]["x-twilio-signature"] == expected


async def test_a_callback_target_that_is_down_is_recorded_not_raised(
    twilio: httpx.AsyncClient, twilio_fake: TwilioFake
) -> None:
    twilio_fake.http = lambda: httpx.AsyncClient(timeout=1)
    url = "http://127.0.0.1:9/webhooks/twilio/status"  # discard port: nothing listens
    await twilio.post(MESSAGES, data=sms(StatusCallback=url), auth=AUTH)
    for task in list(twilio_fake.tasks):
        await task

    [callback] = (await twilio.get("/_fake/callbacks")).json()["callbacks"]
    assert callback["status"] is None
    assert "ConnectError" in callback["error"]


async def test_inbound_sms_is_posted_with_a_valid_signature(
    twilio: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    url = f"{WEBHOOK_BASE}/webhooks/twilio/inbound"

    answer = await twilio.post(
        "/_fake/inbound", json={"from": "+15551230001", "body": "STOP", "url": url}
    )

    assert answer.status_code == 200
    assert answer.json()["status"] == 200
    assert answer.json()["body"] == "<Response/>"
    [inbound] = receiver.received
    form = inbound["form"]
    assert (form["From"], form["Body"], form["NumMedia"]) == ("+15551230001", "STOP", "0")
    assert form["AccountSid"] == ACCOUNT_SID
    expected = request_signature(AUTH_TOKEN, url, form.items())
    assert inbound["headers"]["x-twilio-signature"] == expected


async def test_clearing_forgets_messages_and_requests(twilio: httpx.AsyncClient) -> None:
    await twilio.post(MESSAGES, data=sms(), auth=AUTH)

    await twilio.delete("/_fake/messages")

    assert (await twilio.get("/_fake/messages")).json() == {"messages": [], "requests": []}
