"""A Lob Print & Mail stand-in for letters, honouring `Idempotency-Key` as Lob does.

    POST /v1/letters          create (Basic auth: API key as username; JSON or form body)
    GET  /v1/letters/{id}
    GET|DELETE /_fake/letters every letter with its idempotency key and how often it was seen
    GET|POST /_fake/behaviour failure modes (behaviour.py)

The same Idempotency-Key (header, or `idempotency_key` in the query) always answers the
letter it first created: a retried request never prints a second letter.
"""

import asyncio
import contextlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .behaviour import Behaviour, Mode
from .common import basic_credentials, behaviour_routes

NESTED_KEY = re.compile(r"^(\w+)\[(\w+)\]$")
ADDRESS_FIELDS = (
    "name",
    "company",
    "address_line1",
    "address_line2",
    "address_city",
    "address_state",
    "address_zip",
    "address_country",
)


@dataclass
class LobFake:
    api_key: str
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    behaviour: Behaviour = field(default_factory=Behaviour)
    letters: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_key: dict[str, str] = field(default_factory=dict)
    key_seen: dict[str, int] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    key_locks: dict[str, asyncio.Lock] = field(default_factory=dict)

    async def create_letter(self, request: Request) -> JSONResponse:
        key = request.headers.get("idempotency-key") or request.query_params.get("idempotency_key")
        # one request per key at a time: a concurrent retry waits, then gets the same letter
        lock = self.key_locks.setdefault(key, asyncio.Lock()) if key else None
        async with lock or contextlib.nullcontext():
            answer = await self._answer_create(request, key)
        self.requests.append(
            {"at": self.clock().isoformat(), "idempotencyKey": key, "status": answer.status_code}
        )
        return answer

    async def _answer_create(self, request: Request, key: str | None) -> JSONResponse:
        credentials = basic_credentials(request)
        if credentials is None or credentials[0] != self.api_key:
            return _error(
                "Your API key is not valid. Please sign up on lob.com to get a valid api key.",
                401,
                "unauthorized",
            )
        if key:
            self.key_seen[key] = self.key_seen.get(key, 0) + 1
            if key in self.by_key:
                return JSONResponse(self.letters[self.by_key[key]])
        body = await _letter_body(request)
        invalid = _invalid_letter(body)
        if invalid:
            return _error(invalid, 422, "invalid")
        outcome = await self.behaviour.outcome(_recipient(body["to"]))
        if outcome is Mode.TRANSIENT:
            return _error("An internal server error occurred.", 500, "internal_server_error")
        if outcome is Mode.RATE_LIMITED:
            answer = _error("Rate limit exceeded.", 429, "rate_limit_exceeded")
            answer.headers["Retry-After"] = "1"
            return answer
        if outcome is Mode.PERMANENT:
            return _error(
                "The address you have entered was deemed undeliverable.",
                422,
                "failed_deliverability_strictness",
            )
        letter = self._letter(body, key)
        self.letters[letter["id"]] = letter
        if key:
            self.by_key[key] = letter["id"]
        return JSONResponse(letter)

    def _letter(self, body: dict[str, Any], key: str | None) -> dict[str, Any]:
        now = self.clock()
        letter_id = "ltr_" + secrets.token_hex(8)
        stamp = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return {
            "id": letter_id,
            "object": "letter",
            "description": body.get("description"),
            "metadata": body.get("metadata") or {},
            "to": _address(body["to"], stamp),
            "from": _address(body["from"], stamp),
            "color": _flag(body.get("color")),
            "double_sided": _flag(body.get("double_sided", True)),
            "address_placement": body.get("address_placement", "top_first_page"),
            "return_envelope": False,
            "perforated_page": None,
            "custom_envelope": None,
            "extra_service": body.get("extra_service"),
            "mail_type": body.get("mail_type", "usps_first_class"),
            "use_type": body.get("use_type"),
            "merge_variables": body.get("merge_variables"),
            "template_id": None,
            "url": f"https://lob-assets.example/letters/{letter_id}.pdf",
            "carrier": "USPS",
            "tracking_number": None,
            "tracking_events": [],
            "thumbnails": [],
            "expected_delivery_date": _business_days_after(now.date(), 5).isoformat(),
            "send_date": stamp,
            "date_created": stamp,
            "date_modified": stamp,
            "deleted": False,
            "idempotency_key": key,
        }

    async def fetch_letter(self, request: Request) -> JSONResponse:
        letter = self.letters.get(request.path_params["letter_id"])
        if letter is None:
            return _error("letter not found", 404, "not_found")
        return JSONResponse(letter)

    async def list_letters(self, _: Request) -> JSONResponse:
        listed = [
            {
                "letter": letter,
                "idempotencyKey": letter["idempotency_key"],
                "timesSeen": self.key_seen.get(letter["idempotency_key"] or "", 1),
            }
            for letter in self.letters.values()
        ]
        return JSONResponse({"letters": listed, "keys": self.key_seen, "requests": self.requests})

    async def clear_letters(self, _: Request) -> JSONResponse:
        self.letters.clear()
        self.by_key.clear()
        self.key_seen.clear()
        self.requests.clear()
        return JSONResponse({"cleared": True})


async def _letter_body(request: Request) -> dict[str, Any]:
    """JSON, or a form whose `to[name]`-style keys nest as Lob's API reads them."""
    if request.headers.get("content-type", "").startswith("application/json"):
        body = await request.json()
        return body if isinstance(body, dict) else {}
    body: dict[str, Any] = {}
    for key, value in (await request.form()).multi_items():
        nested = NESTED_KEY.match(key)
        if nested:
            body.setdefault(nested[1], {})[nested[2]] = str(value)
        else:
            body[key] = str(value)
    return body


def _invalid_letter(body: dict[str, Any]) -> str | None:
    for required in ("to", "from", "file", "color"):
        if body.get(required) in (None, ""):
            return f"{required} is required"
    for side in ("to", "from"):
        address = body[side]
        if isinstance(address, str):
            continue  # an address id (adr_...) saved at Lob
        if not isinstance(address, dict) or not address.get("address_line1"):
            return f"{side}.address_line1 is required"
        if not address.get("name") and not address.get("company"):
            return f"{side} must have either name or company"
    return None


def _recipient(address: dict[str, Any] | str) -> str:
    if isinstance(address, str):
        return address
    return str(address.get("name") or address.get("company") or "")


def _address(address: dict[str, Any] | str, stamp: str) -> dict[str, Any]:
    if isinstance(address, str):
        return {"id": address, "object": "address"}
    shaped = {name: address.get(name) for name in ADDRESS_FIELDS}
    shaped["address_country"] = shaped["address_country"] or "UNITED STATES"
    return {
        "id": "adr_" + secrets.token_hex(8),
        **shaped,
        "object": "address",
        "date_created": stamp,
        "date_modified": stamp,
    }


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _business_days_after(start: date, days: int) -> date:
    day = start
    while days:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def _error(message: str, status: int, code: str) -> JSONResponse:
    return JSONResponse(
        {"error": {"message": message, "status_code": status, "code": code}}, status_code=status
    )


def lob_app(fake: LobFake) -> Starlette:
    routes = [
        Route("/v1/letters", fake.create_letter, methods=["POST"]),
        Route("/v1/letters/{letter_id}", fake.fetch_letter, methods=["GET"]),
        Route("/_fake/letters", fake.list_letters, methods=["GET"]),
        Route("/_fake/letters", fake.clear_letters, methods=["DELETE"]),
        *behaviour_routes(fake.behaviour),
    ]
    return Starlette(routes=routes)
