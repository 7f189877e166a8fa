"""A Twilio Messages API stand-in: what dispatch-svc calls, and the webhooks Twilio sends.

POST /2010-04-01/Accounts/{AccountSid}/Messages.json   create (Basic auth, form body)
GET  /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json
GET|DELETE /_fake/messages   what was sent (and every request, refused ones too)
GET  /_fake/callbacks        status callbacks posted and what their targets answered
POST /_fake/inbound          {"from", "body", "url"?, "to"?}: post a signed inbound SMS
GET|POST /_fake/behaviour    failure modes (behaviour.py)
"""

import asyncio
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .behaviour import Behaviour, Mode
from .common import basic_credentials, behaviour_routes, json_object
from .twilio_protocol import (
    API_VERSION,
    E164,
    MAX_BODY_CHARS,
    error_body,
    message_resource,
    num_segments,
    request_signature,
)

ACCOUNT = f"/{API_VERSION}/Accounts/{{account_sid}}"


@dataclass
class TwilioConfig:
    account_sid: str
    auth_token: str
    phone_number: str = "+15005550006"
    inbound_url: str = "http://127.0.0.1:8105/webhooks/twilio/inbound"
    callback_delay: float = 0.2


@dataclass
class TwilioFake:
    config: TwilioConfig
    http: Callable[[], httpx.AsyncClient] = lambda: httpx.AsyncClient(timeout=10)
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    behaviour: Behaviour = field(default_factory=Behaviour)
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def create_message(self, request: Request) -> JSONResponse:
        form = {key: str(value) for key, value in (await request.form()).items()}
        answer = await self._answer_create(request, form)
        self.requests.append(
            {"at": self.clock().isoformat(), "form": form, "status": answer.status_code}
        )
        return answer

    async def _answer_create(self, request: Request, form: dict[str, str]) -> JSONResponse:
        refused = self._refuse_credentials(request)
        if refused:
            return refused
        to, body = form.get("To", ""), form.get("Body", "")
        invalid = _invalid_message(form)
        if invalid:
            return _error(*invalid)
        outcome = await self.behaviour.outcome(to)
        if outcome is Mode.TRANSIENT:
            return _error(20503, "Service Unavailable", 503)
        if outcome is Mode.RATE_LIMITED:
            answer = _error(20429, "Too Many Requests", 429)
            answer.headers["Retry-After"] = "1"
            return answer
        if outcome is Mode.PERMANENT:
            return _error(21610, "Attempt to send to unsubscribed recipient", 400)
        sid = "SM" + secrets.token_hex(16)
        message = message_resource(
            sid=sid,
            account_sid=self.config.account_sid,
            to=to,
            from_=form.get("From") or self.config.phone_number,
            body=body,
            status="queued",
            now=self.clock(),
        )
        self.messages[sid] = message
        if form.get("StatusCallback") and self.behaviour.status_callbacks:
            self._spawn(self._report_status(message, form["StatusCallback"]))
        return JSONResponse(message, status_code=201)

    def _refuse_credentials(self, request: Request) -> JSONResponse | None:
        expected = (self.config.account_sid, self.config.auth_token)
        if basic_credentials(request) != expected:
            answer = _error(20003, "Authenticate", 401)
            answer.headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
            return answer
        if request.path_params["account_sid"] != self.config.account_sid:
            return _error(20404, f"The requested resource {request.url.path} was not found", 404)
        return None

    async def fetch_message(self, request: Request) -> JSONResponse:
        refused = self._refuse_credentials(request)
        if refused:
            return refused
        message = self.messages.get(request.path_params["sid"])
        if message is None:
            return _error(20404, f"The requested resource {request.url.path} was not found", 404)
        return JSONResponse(message)

    async def _report_status(self, message: dict[str, Any], url: str) -> None:
        await asyncio.sleep(self.config.callback_delay)
        undelivered = message["to"] in self.behaviour.undeliverable_recipients
        message["status"] = "undelivered" if undelivered else "delivered"
        params = {
            "AccountSid": self.config.account_sid,
            "ApiVersion": API_VERSION,
            "From": message["from"],
            "MessageSid": message["sid"],
            "MessageStatus": message["status"],
            "SmsSid": message["sid"],
            "SmsStatus": message["status"],
            "To": message["to"],
        }
        if undelivered:
            params["ErrorCode"] = "30003"
        self.callbacks.append(
            {"url": url, "params": params, **await self._post_signed(url, params)}
        )

    async def _post_signed(self, url: str, params: dict[str, str]) -> dict[str, Any]:
        """Posts a webhook as Twilio does; a target that is down is reported, not raised."""
        signature = request_signature(self.config.auth_token, url, params.items())
        headers = {"X-Twilio-Signature": signature, "User-Agent": "TwilioProxy/1.1"}
        try:
            async with self.http() as client:
                answer = await client.post(url, data=params, headers=headers)
        except httpx.HTTPError as error:
            return {"signature": signature, "status": None, "error": repr(error)}
        return {
            "signature": signature,
            "status": answer.status_code,
            "contentType": answer.headers.get("content-type"),
            "body": answer.text,
        }

    async def post_inbound(self, request: Request) -> JSONResponse:
        payload = await json_object(request)
        if payload is None or not isinstance(payload.get("from"), str):
            return JSONResponse({"error": "from: the sender's number is required"}, 400)
        body = str(payload.get("body", ""))
        url = str(payload.get("url") or self.config.inbound_url)
        sid = "SM" + secrets.token_hex(16)
        params = {
            "AccountSid": self.config.account_sid,
            "ApiVersion": API_VERSION,
            "Body": body,
            "From": payload["from"],
            "MessageSid": sid,
            "NumMedia": "0",
            "NumSegments": str(num_segments(body)),
            "SmsMessageSid": sid,
            "SmsSid": sid,
            "SmsStatus": "received",
            "To": str(payload.get("to") or self.config.phone_number),
        }
        result = await self._post_signed(url, params)
        status = 502 if result["status"] is None else 200
        return JSONResponse({"url": url, "params": params, **result}, status_code=status)

    def _spawn(self, work: Any) -> None:
        # kept referenced until done: the loop holds tasks only weakly
        task = asyncio.get_running_loop().create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def list_messages(self, _: Request) -> JSONResponse:
        return JSONResponse({"messages": list(self.messages.values()), "requests": self.requests})

    async def clear_messages(self, _: Request) -> JSONResponse:
        self.messages.clear()
        self.requests.clear()
        self.callbacks.clear()
        return JSONResponse({"cleared": True})

    async def list_callbacks(self, _: Request) -> JSONResponse:
        return JSONResponse({"callbacks": self.callbacks})


def _invalid_message(form: dict[str, str]) -> tuple[int, str, int] | None:
    """Twilio's own validation of a create request: (code, message, HTTP status)."""
    to = form.get("To", "")
    if not to:
        return 21604, "A 'To' phone number is required.", 400
    if not E164.match(to):
        return 21211, f"The 'To' number {to} is not a valid phone number.", 400
    if not form.get("From") and not form.get("MessagingServiceSid"):
        return 21603, "A 'From' phone number is required.", 400
    if not form.get("Body") and not form.get("MediaUrl"):
        return 21602, "Message body is required.", 400
    if len(form.get("Body", "")) > MAX_BODY_CHARS:
        return 21617, "The concatenated message body exceeds the 1600 character limit.", 400
    return None


def _error(code: int, message: str, status: int) -> JSONResponse:
    return JSONResponse(error_body(code, message, status), status_code=status)


def twilio_app(fake: TwilioFake) -> Starlette:
    routes = [
        Route(f"{ACCOUNT}/Messages.json", fake.create_message, methods=["POST"]),
        Route(f"{ACCOUNT}/Messages/{{sid}}.json", fake.fetch_message, methods=["GET"]),
        Route("/_fake/messages", fake.list_messages, methods=["GET"]),
        Route("/_fake/messages", fake.clear_messages, methods=["DELETE"]),
        Route("/_fake/callbacks", fake.list_callbacks, methods=["GET"]),
        Route("/_fake/inbound", fake.post_inbound, methods=["POST"]),
        *behaviour_routes(fake.behaviour),
    ]
    return Starlette(routes=routes)
