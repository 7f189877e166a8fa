"""Serves both fakes from one process, each on its own port, configured by environment."""

import asyncio
import os

import uvicorn

from .lob import LobFake, lob_app
from .twilio import TwilioConfig, TwilioFake, twilio_app


def twilio_from_env() -> TwilioFake:
    public_base = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8105").rstrip("/")
    config = TwilioConfig(
        account_sid=os.environ.get("TWILIO_ACCOUNT_SID", "AC00000000000000000000000000000000"),
        auth_token=os.environ.get("TWILIO_AUTH_TOKEN", "dev-twilio-token"),
        phone_number=os.environ.get("TWILIO_FROM_NUMBER", "+15005550006"),
        inbound_url=f"{public_base}/webhooks/twilio/inbound",
        callback_delay=float(os.environ.get("TWILIO_FAKE_CALLBACK_DELAY", "0.2")),
    )
    fake = TwilioFake(config)
    # status callbacks on by default; TWILIO_FAKE_CALLBACKS=0 starts with them off
    fake.behaviour.status_callbacks = os.environ.get("TWILIO_FAKE_CALLBACKS", "1") != "0"
    return fake


def lob_from_env() -> LobFake:
    return LobFake(api_key=os.environ.get("LOB_API_KEY", "test_dev_lob_key"))


async def serve() -> None:
    host = os.environ.get("FAKES_HOST", "127.0.0.1")
    servers = [
        uvicorn.Server(
            uvicorn.Config(
                app, host=host, port=port, log_level="warning", access_log=False, lifespan="off"
            )
        )
        for app, port in (
            (twilio_app(twilio_from_env()), int(os.environ.get("TWILIO_FAKE_PORT", "8030"))),
            (lob_app(lob_from_env()), int(os.environ.get("LOB_FAKE_PORT", "8031"))),
        )
    ]
    await asyncio.gather(*(server.serve() for server in servers))


def main() -> None:
    asyncio.run(serve())
