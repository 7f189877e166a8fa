"""SMS through Twilio's Messages REST API (form-encoded To, From, Body, StatusCallback).

The connections are split over several small httpx clients, taken in turn: httpcore 1.0.9's
pool scans every connection, several times, for each request (encode/httpcore#1035, unmerged),
so one pool of 64 connections cost several times the CPU per SMS (docs/perf.md); pools of 8
keep that scan short.
"""

import itertools
import math

import httpx

from dispatch_svc.channels.base import (
    Outgoing,
    PermanentProviderError,
    Receipt,
    TransientProviderError,
    refusal,
)
from dispatch_svc.config import DispatchSettings

STATUS_CALLBACK_PATH = "/webhooks/twilio/status"
CONNECTIONS_PER_CLIENT = 8


class SmsChannel:
    name = "twilio"

    def __init__(self, settings: DispatchSettings) -> None:
        self._settings = settings
        base = settings.twilio_api_base.rstrip("/")
        self._url = f"{base}/2010-04-01/Accounts/{settings.twilio_account_sid}/Messages.json"
        self._callback = settings.public_base_url.rstrip("/") + STATUS_CALLBACK_PATH
        self._clients: list[httpx.AsyncClient] = []
        self._next_client: itertools.cycle[httpx.AsyncClient] | None = None

    async def start(self) -> None:
        shards = math.ceil(self._settings.sms_connections / CONNECTIONS_PER_CLIENT)
        per_client = math.ceil(self._settings.sms_connections / shards)
        limits = httpx.Limits(max_connections=per_client, max_keepalive_connections=per_client)
        self._clients = [
            httpx.AsyncClient(
                auth=(self._settings.twilio_account_sid, self._settings.twilio_auth_token),
                timeout=self._settings.provider_timeout_seconds,
                limits=limits,
            )
            for _ in range(shards)
        ]
        self._next_client = itertools.cycle(self._clients)

    async def send(self, message: Outgoing) -> Receipt:
        if not message.phone:
            raise PermanentProviderError("contact.phone: no phone number")
        assert self._next_client is not None, "start() the channel first"
        form = {
            "To": message.phone,
            # The clinic's own number; SMS_FROM only for snapshots from before profiles.
            "From": message.clinic.sms_from or self._settings.sms_from,
            "Body": message.text,
            "StatusCallback": self._callback,
        }
        try:
            answer = await next(self._next_client).post(self._url, data=form)
        except httpx.HTTPError as exc:
            raise TransientProviderError(f"twilio: {exc!r}") from exc
        if answer.status_code in (200, 201):
            sid = answer.json().get("sid")
            segments = message.sms_segments
            return Receipt(self.name, sid, segments * self._settings.sms_cost_cents_per_segment)
        raise refusal(answer.status_code, _twilio_reason(answer))

    async def close(self) -> None:
        for client in self._clients:
            await client.aclose()
        self._clients, self._next_client = [], None


def _twilio_reason(answer: httpx.Response) -> str:
    try:
        body = answer.json()
    except ValueError:
        return f"twilio {answer.status_code}: {answer.text[:200]}"
    return f"twilio {answer.status_code} code {body.get('code')}: {body.get('message')}"
