"""The provider fakes in-process: each test talks to them through an ASGI transport,
and the webhooks they post land in a recording app instead of the network."""

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

HERE = Path(__file__).resolve().parent
# the fakes are scripts under deploy/local, not a workspace package; fake_support sits here
sys.path[:0] = [str(HERE.parents[1] / "deploy" / "local"), str(HERE)]

from fake_support import ACCOUNT_SID, AUTH_TOKEN, LOB_KEY, WebhookReceiver  # noqa: E402
from provider_fakes.lob import LobFake, lob_app  # noqa: E402
from provider_fakes.twilio import TwilioConfig, TwilioFake, twilio_app  # noqa: E402


@pytest.fixture
def receiver() -> WebhookReceiver:
    return WebhookReceiver()


@pytest.fixture
def twilio_fake(receiver: WebhookReceiver) -> TwilioFake:
    config = TwilioConfig(ACCOUNT_SID, AUTH_TOKEN, callback_delay=0)
    transport = httpx.ASGITransport(app=receiver.app())
    return TwilioFake(config, http=lambda: httpx.AsyncClient(transport=transport))


@pytest.fixture
async def twilio(twilio_fake: TwilioFake) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=twilio_app(twilio_fake))
    async with httpx.AsyncClient(transport=transport, base_url="http://twilio.test") as client:
        yield client


@pytest.fixture
async def lob() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=lob_app(LobFake(api_key=LOB_KEY)))
    async with httpx.AsyncClient(transport=transport, base_url="http://lob.test") as client:
        yield client
