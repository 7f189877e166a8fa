"""Fakes of our own services' HTTP APIs (httpx.MockTransport) and a gateway served in-process.

The fakes verify the forwarded token and scope to its clinic, as the real services do; any
answer can be forced per path to test how the gateway maps it.
"""

import itertools
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from gateway.app import create_app
from reengage_common.auth import (
    MANAGE_REMINDERS,
    VIEW_ANALYTICS,
    AuthError,
    SigningKey,
    TokenVerifier,
    bearer_token,
    generate_signing_key,
    issue_token,
    verifier_for,
)
from reengage_common.settings import Settings, load_settings
from reengage_testing import serving

CLINIC = "clinic-a"
# The identity service of these tests: it alone mints; the gateway and fakes hold the public key.
SIGNING_KEY = generate_signing_key()
OTHER_CLINIC = "clinic-b"

# Who calls, by the Authorization header they send (None: no header at all).
PERSONAS = {
    "no token": None,
    "bad token": "Bearer not-a-jwt",
    "staff without permissions": ("staff", []),
    "viewer": ("staff", [VIEW_ANALYTICS]),
    "manager": ("manager", [VIEW_ANALYTICS, MANAGE_REMINDERS]),
    "clinic_admin": ("clinic_admin", [VIEW_ANALYTICS, MANAGE_REMINDERS]),
}

TRANSITIONS = {"launch": "ACTIVE", "pause": "PAUSED", "resume": "ACTIVE", "cancel": "CANCELLED"}


def campaign_document(campaign_id: str, clinic_id: str = CLINIC, **changes: Any) -> dict[str, Any]:
    return {
        "id": campaign_id,
        "clinicId": clinic_id,
        "name": f"Campaign {campaign_id}",
        "description": None,
        "status": "DRAFT",
        "targeting": {
            "inactiveDays": 180,
            "treatmentStages": ["RETENTION"],
            "includeNoShows": True,
            "includeDropouts": False,
            "excludeRecentContact": True,
            "excludeContactDays": 30,
        },
        "channels": ["EMAIL", "SMS"],
        "messageTemplates": [
            {
                "channel": "EMAIL",
                "subject": "We miss you",
                "body": "Hi {{ first_name }}",
                "sequence": 1,
                "delayDays": 0,
                "variant": "A",
            }
        ],
        "variants": [{"name": "A", "weight": 1}],
        "holdoutPercent": 10.0,
        "schedule": {
            "startDate": "2026-01-05T09:00:00Z",
            "endDate": None,
            "sendTimes": ["10:00"],
            "timezone": "America/Chicago",
        },
        "incentive": {
            "hasIncentive": True,
            "incentiveDetails": "20% off",
            "incentiveCode": "SMILE20",
            "incentiveCostCents": 500,
        },
        "runNumber": 1,
        "createdAt": "2025-12-01T10:00:00Z",
        "updatedAt": "2025-12-01T10:00:00Z",
        "launchedAt": None,
        "completedAt": None,
        "createdBy": "u-1",
        **changes,
    }


def error(status: int, code: str, message: str, **extra: Any) -> httpx.Response:
    return httpx.Response(status, json={"error": {"code": code, "message": message, **extra}})


def undocumented(document: dict[str, Any], method: str, path: str, body: Any) -> list[str]:
    """What in a 200 answer's `body` the OpenAPI document's schema for it does not allow."""
    answers = document["paths"][path][method.lower()]["responses"]
    schema = answers["200"]["content"]["application/json"]["schema"]
    validator = Draft202012Validator({**schema, "components": document["components"]})
    return [error.message for error in validator.iter_errors(body)]


class FakeService:
    """Records every request; `force` fixes the answer of one method and path."""

    def __init__(self, verifier: TokenVerifier) -> None:
        self.verifier = verifier
        self.requests: list[httpx.Request] = []
        self.forced: dict[tuple[str, str], httpx.Response] = {}
        self.deployed = True
        self.reachable = True

    def force(self, method: str, path: str, response: httpx.Response) -> None:
        self.forced[(method, path)] = response

    def calls(self, method: str | None = None, path: str | None = None) -> list[httpx.Request]:
        return [
            r
            for r in self.requests
            if (method is None or r.method == method) and (path is None or r.url.path == path)
        ]

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self._handle)

    def _handle(self, request: httpx.Request) -> httpx.Response:
        if not self.reachable:
            raise httpx.ConnectError("connection refused", request=request)
        self.requests.append(request)
        if not self.deployed:
            return httpx.Response(404, text="Not Found")  # starlette's answer to a missing route
        if (request.method, request.url.path) in self.forced:
            return self.forced[(request.method, request.url.path)]
        try:
            clinic = self.verifier.verify(
                bearer_token(request.headers.get("authorization"))
            ).clinic_id
        except AuthError as exc:
            return error(401, "UNAUTHENTICATED", str(exc))
        body = json.loads(request.content) if request.content else None
        return self.answer(request, clinic, body)

    def answer(self, request: httpx.Request, clinic: str, body: Any) -> httpx.Response:
        raise NotImplementedError


class FakeCampaignService(FakeService):
    def __init__(self, verifier: TokenVerifier) -> None:
        super().__init__(verifier)
        self.campaigns: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1000)

    def add(self, campaign_id: str, clinic_id: str = CLINIC, **changes: Any) -> dict[str, Any]:
        self.campaigns[campaign_id] = campaign_document(campaign_id, clinic_id, **changes)
        return self.campaigns[campaign_id]

    def answer(self, request: httpx.Request, clinic: str, body: Any) -> httpx.Response:
        parts = request.url.path.strip("/").split("/")
        ours = {i: c for i, c in self.campaigns.items() if c["clinicId"] == clinic}
        if parts == ["campaigns"] and request.method == "GET":
            return httpx.Response(200, json=self._page(ours, request.url.params))
        if parts == ["campaigns"] and request.method == "POST":
            return httpx.Response(201, json=self._create(clinic, body))
        campaign = ours.get(parts[1])
        if campaign is None:
            return error(404, "NOT_FOUND", f"no campaign {parts[1]}")
        if len(parts) == 2:
            return self._one(request.method, campaign, body)
        action = parts[2]
        if action == "duplicate":
            copy = self._create(clinic, {**campaign, "name": f"Copy of {campaign['name']}"})
            return httpx.Response(201, json=copy)
        if action == "preview":
            return httpx.Response(200, json=_preview(campaign["id"], body))
        campaign["status"] = TRANSITIONS[action]
        return httpx.Response(200, json=campaign)

    def _page(self, ours: dict[str, dict[str, Any]], params: httpx.QueryParams) -> dict[str, Any]:
        if "ids" in params:
            wanted = params["ids"].split(",")
            return {"items": [ours[i] for i in wanted if i in ours]}
        items = [c for c in ours.values() if params.get("status") in (None, c["status"])]
        start = int(params.get("after", "0"))
        first = int(params.get("first", "20"))
        page = items[start : start + first]
        end = start + len(page)
        return {
            "items": page,
            "pageInfo": {"hasNextPage": end < len(items), "endCursor": str(end) if page else None},
            "totalCount": len(items),
        }

    def _create(self, clinic: str, body: dict[str, Any]) -> dict[str, Any]:
        campaign_id = f"c-{next(self._ids)}"
        editable = {k: v for k, v in body.items() if k not in {"id", "clinicId", "status"}}
        return self.add(campaign_id, clinic, **editable, status="DRAFT")

    def _one(self, method: str, campaign: dict[str, Any], body: Any) -> httpx.Response:
        if method == "GET":
            return httpx.Response(200, json=campaign)
        if method == "PUT":
            campaign.update(body)
            return httpx.Response(200, json=campaign)
        del self.campaigns[campaign["id"]]
        return httpx.Response(200, json={"id": campaign["id"], "deleted": True})


def _preview(campaign_id: str, body: dict[str, Any]) -> dict[str, Any]:
    name = (body.get("sampleData") or {}).get("first_name", body.get("patientId"))
    message = {"channel": "SMS", "sequence": 1, "variant": "A", "subject": None}
    sms = {"encoding": "GSM-7", "characters": 12, "segments": 1}
    return {"campaignId": campaign_id, "messages": [{**message, "body": f"Hi {name}", "sms": sms}]}


class FakeTrackingService(FakeService):
    """Not deployed unless a test says so: tracking-svc does not exist yet."""

    def __init__(self, verifier: TokenVerifier) -> None:
        super().__init__(verifier)
        self.deployed = False
        self.stats: dict[str, dict[str, Any]] = {}
        self.recipients: list[dict[str, Any]] = [
            {
                "patientId": f"p-{n}",
                "status": "SENT",
                "variant": "A",
                "channel": "EMAIL",
                "lastEventAt": "2026-01-06T10:00:00Z",
            }
            for n in range(2)
        ]

    def answer(self, request: httpx.Request, clinic: str, body: Any) -> httpx.Response:
        if request.url.path == "/stats/batch":
            items = [self.stats[i] for i in body["campaignIds"] if i in self.stats]
            return httpx.Response(200, json={"items": items})
        page_info = {"hasNextPage": True, "endCursor": "r-2"}
        return httpx.Response(
            200, json={"items": self.recipients, "pageInfo": page_info, "totalCount": 5}
        )


class FakeAudienceService(FakeService):
    def __init__(self, verifier: TokenVerifier) -> None:
        super().__init__(verifier)
        self.deployed = False

    def answer(self, request: httpx.Request, clinic: str, body: Any) -> httpx.Response:
        return httpx.Response(200, json={"total": 42, "byChannel": {"EMAIL": 40, "SMS": 12}})


class Services:
    def __init__(self, verifier: TokenVerifier) -> None:
        self.campaign = FakeCampaignService(verifier)
        self.tracking = FakeTrackingService(verifier)
        self.audience = FakeAudienceService(verifier)
        self.dispatch = FakeService(verifier)
        self.dispatch.deployed = False

    def transports(self) -> dict[str, httpx.AsyncBaseTransport]:
        return {
            "campaign-svc": self.campaign.transport(),
            "tracking-svc": self.tracking.transport(),
            "audience-svc": self.audience.transport(),
            "dispatch-svc": self.dispatch.transport(),
        }


@pytest.fixture
def signing_key() -> SigningKey:
    """The key that mints the personas' tokens; settings hold only its public half."""
    return SIGNING_KEY


@pytest.fixture
def settings() -> Settings:
    return load_settings("gateway", jwt_public_key=SIGNING_KEY.public_pem)


@pytest.fixture
def services(settings: Settings) -> Services:
    return Services(verifier_for(settings))


@pytest.fixture
async def gateway(settings: Settings, services: Services) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(create_app(settings, services.transports())) as client:
        yield client


@pytest.fixture
def headers_of() -> Callable[[str], dict[str, str]]:
    """The headers a persona of PERSONAS sends."""

    def headers(persona: str, clinic_id: str = CLINIC) -> dict[str, str]:
        who = PERSONAS[persona]
        if who is None:
            return {}
        if isinstance(who, str):
            return {"authorization": who}
        role, permissions = who
        token = issue_token(
            SIGNING_KEY,
            user_id=f"u-{role}",
            clinic_id=clinic_id,
            role=role,
            permissions=permissions,
        )
        return {"authorization": f"Bearer {token}"}

    return headers


@pytest.fixture
def graphql(
    gateway: httpx.AsyncClient, headers_of: Callable[..., dict[str, str]]
) -> Callable[..., Awaitable[dict[str, Any]]]:
    """POST a document to /graphql as a persona; the parsed JSON answer."""

    async def run(
        document: str,
        variables: dict[str, Any] | None = None,
        *,
        persona: str = "clinic_admin",
        clinic_id: str = CLINIC,
    ) -> dict[str, Any]:
        response = await gateway.post(
            "/graphql",
            json={"query": document, "variables": variables or {}},
            headers=headers_of(persona, clinic_id),
        )
        assert response.status_code == 200, response.text
        return response.json()

    return run
