"""An attacker's view of the whole system as deployed (issue 17): the real gateway in front of
the real campaign-svc, audience-svc, dispatch-svc and tracking-svc (in-process, as tests/e2e
starts them, over real Kafka and FerretDB), every part with `ENV=production` settings of its
own, and tracking's public routes on their public port. Whatever the attacker sends, they get
nothing and change nothing:

- forged tokens (HS256 with the public key or a guessed secret, `alg: none`, the repository's
  development key pair, expired, another issuer or audience, ...) are 401 / UNAUTHENTICATED
  on REST and GraphQL, and write nothing;
- clinic B's token on clinic A's campaign ids is answered exactly as an id nobody used
  (REST and GraphQL, with production's error masking); a staff token cannot write, a manager
  cannot launch, and neither reaches a service;
- forged or edited unsubscribe and booking links on tracking's public port are refused (400,
  410 when expired) and publish no response; a Twilio request with a wrong
  `X-Twilio-Signature` and an email-provider event without the shared secret are refused and
  store nothing;
- a body over the limit on every REST route of the gateway's route table, GraphQL and every
  public webhook is 413 and stores nothing;
- alias, depth and cost bombs in GraphQL are refused before any service is called.

Each refusal is checked against a control that is accepted (a good link, a good signature, the
right secret), so "nothing changed" is a measurement, not an assumption.

Covered elsewhere and not repeated here: the cross-clinic SMS reply and STOP (matched by the
pair From/To, `services/tracking-svc/tests/integration/test_tracking_security.py::
test_a_reply_reaches_the_clinic_whose_number_it_was_sent_to`); every operation for every
persona (`tests/e2e/test_permissions.py`) and clinic isolation per operation
(`tests/e2e/test_isolation.py`), in test mode; production start-up refusals
(`tests/security/test_production_start.py`); bodies and trace ids over a real socket
(`tests/security/test_body_limits_over_a_port.py`).
"""

import asyncio
import base64
import json
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from aiokafka import AIOKafkaConsumer
from pymongo import AsyncMongoClient

from audience_svc.app import create_app as audience_app
from campaign_svc.app import create_app as campaign_app
from campaign_svc.config import CampaignSettings
from dispatch_svc.app import create_app as dispatch_app
from dispatch_svc.config import DispatchSettings
from gateway.app import IMPORT_PATH
from gateway.app import create_app as gateway_app
from gateway.operations.access import Requirement, requirement_of
from gateway.rest.routes import ROUTES
from reengage_common.auth import (
    CLINIC_ADMIN,
    MANAGE_REMINDERS,
    VIEW_ANALYTICS,
    generate_signing_key,
    issue_token,
)
from reengage_common.events import Channel, parse
from reengage_common.jwt_keys import development_signing_key
from reengage_common.messages import (
    BOOKING_CLICK,
    UNSUBSCRIBE,
    LinkClaims,
    booking_link,
    make_link_token,
    unsubscribe_link,
)
from reengage_common.settings import (
    DEVELOPMENT_JWT_AUDIENCE,
    DEVELOPMENT_JWT_SECRET,
    DEVELOPMENT_LINK_SECRET,
    DEVELOPMENT_TWILIO_AUTH_TOKEN,
    Settings,
)
from reengage_testing import COMPLETE_CLINIC_PROFILE, free_port, serving
from reengage_testing.tokens import hs256_signed_with
from tracking_svc.app import create_app as tracking_app
from tracking_svc.config import TrackingSettings
from tracking_svc.domain.replies import twilio_signature

pytestmark = [
    pytest.mark.infra,
    pytest.mark.filterwarnings("ignore:The HMAC key"),  # the guessed secret is short on purpose
]

CLINIC_A, CLINIC_B = "clinic-a", "clinic-b"
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # every service's clock
# The platform's own identity service and secrets: nothing of the repository's.
ISSUER = "https://id.attacker-suite.example"
SIGNING_KEY = generate_signing_key()
LINK_SECRET = secrets.token_urlsafe(32)
TWILIO_TOKEN = secrets.token_urlsafe(32)
EMAIL_SECRET = secrets.token_urlsafe(32)
PUBLIC_BASE_URL = "https://links.attacker-suite.example"
SMS_FROM = COMPLETE_CLINIC_PROFILE["smsFrom"]
ONE = "/api/booking/campaigns/{id}"


def token(
    role: str = CLINIC_ADMIN, clinic: str = CLINIC_A, permissions: list[str] | None = None
) -> str:
    return issue_token(
        SIGNING_KEY,
        user_id=f"u-{role}",
        clinic_id=clinic,
        role=role,
        permissions=permissions,
        issuer=ISSUER,
    )


def bearer(value: str) -> dict[str, str]:
    return {"authorization": f"Bearer {value}"}


ADMIN_A = bearer(token())
ADMIN_B = bearer(token(clinic=CLINIC_B))
VIEWER_A = bearer(token("staff", permissions=[VIEW_ANALYTICS]))
MANAGER_A = bearer(token("manager"))


def forged_tokens() -> dict[str, str]:
    """Tokens for clinic A's admin, each with one flaw (everything else as a good one's)."""
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": "u-attacker",
        "clinic_id": CLINIC_A,
        "role": CLINIC_ADMIN,
        "permissions": [VIEW_ANALYTICS, MANAGE_REMINDERS],
        "iss": ISSUER,
        "aud": DEVELOPMENT_JWT_AUDIENCE,
        "iat": now,
        "exp": now + timedelta(hours=1),
    }
    admin: dict[str, Any] = {"user_id": "u-attacker", "clinic_id": CLINIC_A, "role": CLINIC_ADMIN}
    ours = {"issuer": ISSUER}

    def signed(changes: dict[str, Any], drop: str | None = None) -> str:
        body = {k: v for k, v in {**claims, **changes}.items() if k != drop}
        return jwt.encode(
            body, SIGNING_KEY.private_key, SIGNING_KEY.algorithm, {"kid": SIGNING_KEY.kid}
        )

    stranger = generate_signing_key(SIGNING_KEY.algorithm)
    return {
        "alg none": jwt.encode(claims, None, algorithm="none"),
        "HS256 signed with the public key": hs256_signed_with(SIGNING_KEY.public_pem, claims),
        "HS256 with the development secret": issue_token(DEVELOPMENT_JWT_SECRET, **admin, **ours),
        "HS256 with a guessed secret": issue_token("secret", **admin, **ours),
        "the repository's development key": issue_token(development_signing_key(), **admin),
        "the development key with our issuer": issue_token(
            development_signing_key(), **admin, **ours
        ),
        "a stranger's key": issue_token(stranger, **admin, **ours),
        "a stranger's key naming our kid": jwt.encode(
            claims, stranger.private_key, stranger.algorithm, {"kid": SIGNING_KEY.kid}
        ),
        "expired": issue_token(
            SIGNING_KEY, **admin, **ours, now=now - timedelta(hours=2), ttl=timedelta(hours=1)
        ),
        "no exp": signed({}, drop="exp"),
        "the development issuer": issue_token(SIGNING_KEY, **admin),
        "another issuer": signed({"iss": "https://evil.example"}),
        "another audience": signed({"aud": "another-api"}),
        "no sub": signed({}, drop="sub"),
        "no clinic": signed({}, drop="clinic_id"),
        "signature cut off": token().rsplit(".", 1)[0] + ".",
        "claims edited after signing": edited(token(), clinic_id=CLINIC_B),
        "not a JWT": "not-a-jwt",
    }


def edited(good: str, **changes: Any) -> str:
    """A good token whose claims were changed, keeping its signature."""
    head, body, signature = good.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    raw = json.dumps({**claims, **changes}).encode()
    return f"{head}.{base64.urlsafe_b64encode(raw).rstrip(b'=').decode()}.{signature}"


class Counted(httpx.AsyncBaseTransport):
    """The gateway's way to one service, recording every call it makes."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.calls: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(f"{request.method} {request.url.path}")
        return await self.inner.handle_async_request(request)


@dataclass
class System:
    gateway: httpx.AsyncClient
    public: httpx.AsyncClient  # tracking-svc's public port, as the internet reaches it
    campaign_svc: httpx.AsyncClient  # direct, for set-up and to read what is stored
    transports: dict[str, Counted]
    settings: Settings
    tracking: TrackingSettings
    gateway_settings: Settings
    databases: str
    campaigns: dict[str, dict[str, Any]] = field(default_factory=dict)  # clinic A's, by status

    def calls(self) -> list[str]:
        return [call for t in self.transports.values() for call in t.calls]

    def forget_calls(self) -> None:
        for transport in self.transports.values():
            transport.calls.clear()

    async def graphql(
        self, document: str, variables: Mapping[str, Any] | None = None, **headers: str
    ) -> dict[str, Any]:
        answer = await self.gateway.post(
            "/graphql",
            json={"query": document, "variables": dict(variables or {})},
            headers=headers,
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    async def stored(self) -> dict[str, int]:
        """How many documents every collection of every service holds now."""
        client: AsyncMongoClient = AsyncMongoClient(self.settings.mongo_url)
        try:
            counts = {}
            for name in await client.list_database_names():
                if not name.startswith(self.databases):
                    continue
                for collection in await client[name].list_collection_names():
                    if "lease" in collection:  # background loops renew theirs
                        continue
                    counts[f"{name}.{collection}"] = await client[name][collection].count_documents(
                        {}
                    )
            return counts
        finally:
            await client.close()

    async def settled(self, within: float = 20.0) -> dict[str, int]:
        """Wait until what the set-up set off (launches: evaluations, fan-outs) is stored, so
        that a later change is the test's doing: the same counts three times in a row."""
        deadline = time.monotonic() + within
        seen = [await self.stored()]
        while len(seen) < 3 or any(counts != seen[-1] for counts in seen[-3:]):
            assert time.monotonic() < deadline, "the system did not settle"
            await asyncio.sleep(0.5)
            seen.append(await self.stored())
        return seen[-1]

    async def campaign_as_stored(self, campaign_id: str, clinic_headers: dict[str, str]) -> Any:
        answer = await self.campaign_svc.get(f"/campaigns/{campaign_id}", headers=clinic_headers)
        return answer.json() if answer.status_code == 200 else None

    async def everything_on(self, topic: str) -> list[Any]:
        """Every event on one of this module's topics, read to its end."""
        consumer = AIOKafkaConsumer(
            self.settings.topic(topic),
            bootstrap_servers=self.settings.kafka_bootstrap_servers,
            group_id=None,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            client_id=f"attacker-reader-{uuid.uuid4().hex[:6]}",
        )
        await consumer.start()
        found: list[Any] = []
        deadline = time.monotonic() + 15
        try:
            while time.monotonic() < deadline:
                for batch in (await consumer.getmany(timeout_ms=200)).values():
                    found += [parse(record.value) for record in batch]
                partitions = consumer.assignment()
                if partitions:
                    ends = await consumer.end_offsets(list(partitions))
                    if all([await consumer.position(p) >= end for p, end in ends.items()]):
                        break
        finally:
            await consumer.stop()
        return found


CAMPAIGN_INPUT: dict[str, Any] = {
    "name": "Winter recall",
    "description": "Patients who missed their hygiene recall",
    "targeting": {"inactiveDays": 180, "treatmentStages": ["HYGIENE_RECALL"]},
    "channels": ["EMAIL"],
    "messageTemplates": [
        {
            "channel": "EMAIL",
            "subject": "We miss you, {{ patient.firstName }}",
            "body": "Hi {{ patient.firstName }}, book at {{ bookingLink }}",
            "sequence": 1,
            "delayDays": 0,
            "variant": "A",
        }
    ],
    "variants": [{"name": "A", "weight": 1}],
    "holdoutPercent": 0.0,
    "schedule": {
        "startDate": "2026-11-20T09:00:00+00:00",
        "sendTimes": ["10:00"],
        "timezone": "America/Chicago",
    },
    "incentive": {"hasIncentive": False},
}


@pytest.fixture(scope="module")
async def system(infra: Settings) -> AsyncIterator[System]:
    own = uuid.uuid4().hex[:4]
    databases = f"{infra.mongo_db_prefix}attacker_{own}_"
    production: dict[str, Any] = {
        "env": "production",
        "kafka_topic_prefix": f"{infra.kafka_topic_prefix}attacker-{own}.",
        "mongo_db_prefix": databases,
        "jwt_public_key": SIGNING_KEY.public_pem,
        "jwt_jwks_url": None,
        "jwt_secret": None,
        "jwt_issuer": ISSUER,
        "link_secret": LINK_SECRET,
        "public_base_url": PUBLIC_BASE_URL,
    }
    senders = {
        "verified_sender_domains": "*.example",
        "sms_numbers": {CLINIC_A: [SMS_FROM], CLINIC_B: [SMS_FROM]},
    }
    campaign = CampaignSettings(service="campaign-svc", **production, **senders)
    tracking = TrackingSettings(
        **production,
        public_port=free_port(),
        twilio_auth_token=TWILIO_TOKEN,
        email_webhook_secret=EMAIL_SECRET,
        fallback_booking_url="https://clinic.attacker-suite.example/book",
        # folds at once, so that the system settles before a test's forgery: a fold held back
        # by the rest after a round changed the counts while the forgery was being refused
        compact_rest_seconds=0,
    )
    dispatch = DispatchSettings(
        service="dispatch-svc", **production, twilio_auth_token=TWILIO_TOKEN
    )
    audience = Settings(service="audience-svc", **production)
    gateway = Settings(
        service="gateway", **production, max_import_body_bytes=256 * 1024
    )  # the import's own limit, smaller: the test sends one byte past it

    def clock() -> datetime:
        return NOW

    async with (
        serving(campaign_app(campaign, clock=clock)) as campaign_client,
        serving(audience_app(audience, clock=clock)) as audience_client,
        serving(dispatch_app(dispatch, clock=clock)) as dispatch_client,
        serving(tracking_app(tracking, clock=clock)) as tracking_client,
    ):
        transports = {
            "campaign-svc": Counted(campaign_client._transport),
            "audience-svc": Counted(audience_client._transport),
            "dispatch-svc": Counted(dispatch_client._transport),
            "tracking-svc": Counted(tracking_client._transport),
        }
        public = httpx.AsyncClient(
            transport=tracking_client._transport,
            base_url=f"http://links.attacker-suite.example:{tracking.public_port}",
        )
        async with serving(gateway_app(gateway, dict(transports))) as gateway_client, public:
            system = System(
                gateway=gateway_client,
                public=public,
                campaign_svc=campaign_client,
                transports=transports,
                settings=campaign,
                tracking=tracking,
                gateway_settings=gateway,
                databases=databases,
            )
            system.campaigns = await clinic_a_campaigns(campaign_client)
            await system.settled()
            yield system


async def clinic_a_campaigns(campaign_svc: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    """Clinic A's campaigns, one per status, named so that a leak would show."""
    profile = await campaign_svc.put("/clinic", json=COMPLETE_CLINIC_PROFILE, headers=ADMIN_A)
    assert profile.status_code == 200, profile.text
    found = {}
    for status, actions in {
        "DRAFT": (),
        "ACTIVE": ("launch",),
        "PAUSED": ("launch", "pause"),
    }.items():
        body = {
            **CAMPAIGN_INPUT,
            "name": f"Clinic A secret {status}",
            "incentive": {
                "hasIncentive": True,
                "incentiveDetails": "10% off",
                "incentiveCode": f"A{status}",
                "incentiveCostCents": 100,
            },
        }
        created = await campaign_svc.post("/campaigns", json=body, headers=ADMIN_A)
        assert created.status_code == 201, created.text
        document = created.json()
        for action in actions:
            answer = await campaign_svc.post(
                f"/campaigns/{document['id']}/{action}", headers=ADMIN_A
            )
            assert answer.status_code == 200, answer.text
            document = answer.json()
        assert document["status"] == status
        found[status] = document
    return found


def unused_id() -> str:
    return uuid.uuid4().hex


def without(campaign_id: str, answer: Any) -> str:
    """An answer with the id it was about blanked out, to compare two answers."""
    return json.dumps(answer, sort_keys=True).replace(campaign_id, "<id>")


# The status of clinic A's campaign each path or mutation is tried on: one it would act on.
ON_STATUS = {"pause": "ACTIVE", "cancel": "ACTIVE", "resume": "PAUSED", "stats": "ACTIVE"}
ON_STATUS |= {"recipients": "ACTIVE", "Pause": "ACTIVE", "Cancel": "ACTIVE", "Resume": "PAUSED"}
ON_STATUS |= {"Stats": "ACTIVE", "Recipients": "ACTIVE"}


def status_for(name: str) -> str:
    return next((s for key, s in ON_STATUS.items() if key in name), "DRAFT")


def rest_body(method: str, path: str) -> dict[str, Any]:
    """What a caller sends to a route: a valid campaign, profile or CSV where it takes one."""
    if path == IMPORT_PATH:
        return {"content": b"patientId,firstName\np-attack,Mallory\n"}
    if path.endswith("/clinic") and method == "PUT":
        return {"json": {**COMPLETE_CLINIC_PROFILE, "name": "Taken over"}}
    if path.endswith("/preview"):
        return {"json": {"sampleData": {}}}
    if path.endswith("/estimate"):
        return {"json": {"targeting": {"inactiveDays": 1}}}
    if method in ("POST", "PUT") and path.endswith(("campaigns", "{id}")):
        return {"json": {**CAMPAIGN_INPUT, "name": "Taken over"}}
    return {}


MUTATIONS: dict[str, tuple[str, dict[str, Any]]] = {
    "createCampaign": (
        "mutation($input: CampaignInput!) { createCampaign(input: $input) { __typename } }",
        {"input": {**CAMPAIGN_INPUT, "name": "Taken over"}},
    ),
    "updateCampaign": (
        "mutation($id: ID!, $input: CampaignInput!) {"
        " updateCampaign(id: $id, input: $input) { __typename } }",
        {"input": {**CAMPAIGN_INPUT, "name": "Taken over"}},
    ),
    **{
        name: (f"mutation($id: ID!) {{ {name}(id: $id) {{ __typename }} }}", {})
        for name in (
            "deleteCampaign",
            "launchCampaign",
            "pauseCampaign",
            "resumeCampaign",
            "cancelCampaign",
            "duplicateCampaign",
        )
    },
    "previewCampaign": (
        "mutation($id: ID!) { previewCampaign(id: $id, sampleData: {}) { __typename } }",
        {},
    ),
    "updateClinicProfile": (
        "mutation($p: ClinicProfileInput!) { updateClinicProfile(input: $p) { __typename } }",
        {"p": {**COMPLETE_CLINIC_PROFILE, "name": "Taken over"}},
    ),
    # issue 22's: a saved audience, a webhook endpoint, a conversation named by `$id` (clinic
    # A's campaign ids there name none of clinic B's, as an unused id names none)
    "createSavedAudience": (
        "mutation($a: SavedAudienceInput!) { createSavedAudience(input: $a) { __typename } }",
        {"a": {"name": "Taken over", "targeting": {"inactiveDays": 90}}},
    ),
    "updateSavedAudience": (
        "mutation($id: ID!, $a: SavedAudienceInput!) {"
        " updateSavedAudience(id: $id, input: $a) { __typename } }",
        {"a": {"name": "Taken over", "targeting": {"inactiveDays": 90}}},
    ),
    "createWebhookEndpoint": (
        "mutation($w: WebhookEndpointInput!) { createWebhookEndpoint(input: $w) { __typename } }",
        {"w": {"url": "https://attacker.example/hook", "events": ["PATIENT_REBOOKED"]}},
    ),
    "updateWebhookEndpoint": (
        "mutation($id: ID!, $w: WebhookEndpointInput!) {"
        " updateWebhookEndpoint(id: $id, input: $w) { __typename } }",
        {"w": {"url": "https://attacker.example/hook", "events": ["PATIENT_REBOOKED"]}},
    ),
    **{
        name: (f"mutation($id: ID!) {{ {name}(id: $id) {{ __typename }} }}", {})
        for name in ("deleteSavedAudience", "deleteWebhookEndpoint", "sendTestWebhook")
    },
    "markConversationRead": (
        "mutation($id: ID!) { markConversationRead(patientId: $id) { __typename } }",
        {},
    ),
    "assignConversation": (
        'mutation($id: ID!) { assignConversation(patientId: $id, assignee: "u-x") { __typename } }',
        {},
    ),
    "replyToPatient": (
        'mutation($id: ID!) { replyToPatient(patientId: $id, text: "Hi") { __typename } }',
        {},
    ),
}
# Clinic B's reads of clinic A's ids, with their NotFound (or null) made visible.
NOT_FOUND = "__typename ... on NotFound { message }"
READS: dict[str, str] = {
    "campaign": "query($id: ID!) { campaign(id: $id) { id name status } }",
    "campaignStats": f"query($id: ID!) {{ campaignStats(id: $id) {{ {NOT_FOUND} }} }}",
    "campaignRecipients": "query($id: ID!) {"
    f" campaignRecipients(campaignId: $id) {{ {NOT_FOUND} }} }}",
}


async def test_a_forged_token_gets_nothing_and_changes_nothing(system: System) -> None:
    # given tokens for clinic A's admin, each with one flaw, and what the system holds
    forged = forged_tokens()
    target = system.campaigns["DRAFT"]["id"]
    before = await system.settled()
    create, create_input = MUTATIONS["createCampaign"]
    system.forget_calls()

    # when each reads and writes over GraphQL and REST, and calls campaign-svc directly
    answers: dict[str, dict[str, Any]] = {}
    for flaw, value in forged.items():
        headers = bearer(value)
        read = await system.graphql("query { campaigns { totalCount } }", **headers)
        written = await system.graphql(create, create_input, **headers)
        rest = [
            await system.gateway.request(method, path.format(id=target), headers=headers, **body)
            for method, path, body in (
                ("GET", "/api/booking/campaigns", {}),
                ("POST", "/api/booking/campaigns", {"json": CAMPAIGN_INPUT}),
                ("DELETE", ONE, {}),
                ("PUT", "/api/booking/clinic", {"json": COMPLETE_CLINIC_PROFILE}),
            )
        ]
        direct = await system.campaign_svc.post("/campaigns", json=CAMPAIGN_INPUT, headers=headers)
        answers[flaw] = {
            "graphql": [a["errors"][0]["extensions"]["code"] for a in (read, written)],
            "data": [read["data"], written["data"]],
            "rest": [(a.status_code, a.json()["error"]["code"]) for a in rest],
            "direct": (direct.status_code, direct.json()["error"]["code"]),
        }

    # then every one is unauthenticated everywhere, no service was called, nothing was stored
    refused = {
        "graphql": ["UNAUTHENTICATED"] * 2,
        "data": [{"campaigns": None}, {"createCampaign": None}],
        "rest": [(401, "UNAUTHENTICATED")] * 4,
        "direct": (401, "UNAUTHENTICATED"),
    }
    assert answers == dict.fromkeys(forged, refused)
    assert system.calls() == []
    assert await system.stored() == before
    assert await system.campaign_as_stored(target, ADMIN_A) == system.campaigns["DRAFT"]


async def test_the_good_token_of_the_same_shape_is_accepted(system: System) -> None:
    answer = await system.graphql("query { campaigns { totalCount } }", **ADMIN_A)

    assert answer["data"]["campaigns"]["totalCount"] == len(system.campaigns)


ID_ROUTES = [route for route in ROUTES if "{id}" in route.path]


async def test_clinic_bs_token_on_clinic_as_ids_is_answered_like_an_id_nobody_used(
    system: System,
) -> None:
    # given clinic A's campaigns and clinic B's admin
    before = await system.settled()

    # when B tries every REST path and every GraphQL field on A's ids and on unused ones
    differences: dict[str, Any] = {}
    statuses: dict[str, int] = {}
    for route in ID_ROUTES:
        theirs = system.campaigns[status_for(route.path)]["id"]
        nobodys = unused_id()
        body = rest_body(route.method, route.path)
        on_theirs, on_nobodys = [
            await system.gateway.request(
                route.method, route.path.format(id=i), headers=ADMIN_B, **body
            )
            for i in (theirs, nobodys)
        ]
        name = f"{route.method} {route.path}"
        statuses[name] = on_theirs.status_code
        if (on_theirs.status_code, without(theirs, on_theirs.json())) != (
            on_nobodys.status_code,
            without(nobodys, on_nobodys.json()),
        ):
            differences[name] = (on_theirs.text, on_nobodys.text)
    typenames: dict[str, Any] = {}
    documents = {name: (doc, {}) for name, doc in READS.items()}
    documents |= {name: m for name, m in MUTATIONS.items() if "$id" in m[0]}
    for name, (document, variables) in documents.items():
        theirs = system.campaigns[status_for(name)]["id"]
        nobodys = unused_id()
        on_theirs = await system.graphql(document, {**variables, "id": theirs}, **ADMIN_B)
        on_nobodys = await system.graphql(document, {**variables, "id": nobodys}, **ADMIN_B)
        typenames[name] = (on_theirs["data"][name] or {}).get("__typename")
        if without(theirs, on_theirs) != without(nobodys, on_nobodys):
            differences[name] = (on_theirs, on_nobodys)

    # then each answer is the unused id's, a 404 or NotFound; A's campaigns are as they were
    assert differences == {}
    assert statuses == dict.fromkeys(statuses, 404)
    assert typenames == {"campaign": None} | dict.fromkeys(
        set(typenames) - {"campaign"}, "NotFound"
    )
    assert await system.stored() == before
    for campaign in system.campaigns.values():
        assert await system.campaign_as_stored(campaign["id"], ADMIN_A) == campaign


WRITE_ROUTES = [r for r in ROUTES if requirement_of(r.operation).permission == MANAGE_REMINDERS]
LAUNCH_ROUTES = [r for r in ROUTES if requirement_of(r.operation).role == CLINIC_ADMIN]
LAUNCH_MUTATIONS = {"launchCampaign"}


async def test_staff_cannot_write_and_a_manager_cannot_launch(system: System) -> None:
    # given a view-only staff member, a manager, and clinic A as it is
    assert LAUNCH_ROUTES and Requirement(MANAGE_REMINDERS, CLINIC_ADMIN) in {
        requirement_of(r.operation) for r in LAUNCH_ROUTES
    }
    before = await system.settled()
    system.forget_calls()

    # when staff tries every write (REST and GraphQL) and the manager every launch
    attempts = [(VIEWER_A, route) for route in WRITE_ROUTES]
    attempts += [(MANAGER_A, route) for route in LAUNCH_ROUTES]
    rest: dict[str, Any] = {}
    for headers, route in attempts:
        target = system.campaigns[status_for(route.path)]["id"]
        answer = await system.gateway.request(
            route.method,
            route.path.format(id=target),
            headers=headers,
            **rest_body(route.method, route.path),
        )
        who = "manager" if headers is MANAGER_A else "staff"
        rest[f"{who} {route.method} {route.path}"] = (
            answer.status_code,
            answer.json()["error"]["code"],
        )
    graphql: dict[str, Any] = {}
    for who, headers, names in (
        ("staff", VIEWER_A, set(MUTATIONS)),
        ("manager", MANAGER_A, LAUNCH_MUTATIONS),
    ):
        for name in sorted(names):
            document, variables = MUTATIONS[name]
            target = system.campaigns[status_for(name)]["id"]
            answer = await system.graphql(
                document, {**variables, "id": target} if "$id" in document else variables, **headers
            )
            graphql[f"{who} {name}"] = (
                answer["data"][name],
                answer["errors"][0]["extensions"]["code"],
            )

    # then each is forbidden, no service is called, nothing is stored or changed
    assert rest == dict.fromkeys(rest, (403, "FORBIDDEN"))
    assert graphql == dict.fromkeys(graphql, (None, "FORBIDDEN"))
    assert len(rest) == len(WRITE_ROUTES) + len(LAUNCH_ROUTES)
    assert system.calls() == []
    assert await system.stored() == before
    for campaign in system.campaigns.values():
        assert await system.campaign_as_stored(campaign["id"], ADMIN_A) == campaign


def test_the_mutation_table_covers_the_schema() -> None:
    from gateway.schema import build_schema

    schema = build_schema([])._schema
    assert schema.mutation_type is not None
    assert set(schema.mutation_type.fields) == set(MUTATIONS)


def flipped(value: str, at: int | None = None) -> str:
    """`value` with one character changed (in the middle unless `at` says where)."""
    index = len(value) // 2 if at is None else at % len(value)
    return value[:index] + ("A" if value[index] != "A" else "B") + value[index + 1 :]


def claims_of(patient: str, channel: Channel | None = Channel.EMAIL) -> LinkClaims:
    campaign = "c-links"
    return LinkClaims(f"m-{patient}", campaign, patient, CLINIC_A, channel)


async def test_forged_links_are_refused_and_publish_nothing(system: System) -> None:
    # given links of clinic A's patients, each forged or edited one way
    def unsubscribe(patient: str, *, secret: str = LINK_SECRET, at: datetime = NOW) -> str:
        return unsubscribe_link("", secret, claims_of(patient), now=at)

    def booking(patient: str, *, secret: str = LINK_SECRET) -> str:
        return booking_link("", secret, claims_of(patient, None), now=NOW)

    good_booking_token = make_link_token(LINK_SECRET, claims_of("p-b"), BOOKING_CLICK, now=NOW)
    good_unsubscribe_token = make_link_token(LINK_SECRET, claims_of("p-u"), UNSUBSCRIBE, now=NOW)
    forged = {
        "unsubscribe, one character changed": ("POST", flipped(unsubscribe("p-1"))),
        # (not the last: its low bits are padding, a base64 decoder ignores them)
        "unsubscribe, next to last character changed": ("POST", flipped(unsubscribe("p-2"), -2)),
        "unsubscribe, first character changed": (
            "POST",
            "/u/" + flipped(unsubscribe("p-11")[3:], 0),
        ),
        "unsubscribe, cut short": ("POST", unsubscribe("p-3")[:-6]),
        "unsubscribe, sealed with the development secret": (
            "POST",
            unsubscribe("p-4", secret=DEVELOPMENT_LINK_SECRET),
        ),
        "unsubscribe, sealed with a guessed secret": (
            "POST",
            unsubscribe("p-5", secret=secrets.token_urlsafe(32)),
        ),
        "unsubscribe, a booking link's token": ("POST", f"/u/{good_booking_token}"),
        "unsubscribe, 91 days old": ("POST", unsubscribe("p-6", at=NOW - timedelta(days=91))),
        "unsubscribe, not a token": ("POST", "/u/p-7"),
        "booking, one character changed": ("GET", flipped(booking("p-8"))),
        "booking, sealed with the development secret": (
            "GET",
            booking("p-9", secret=DEVELOPMENT_LINK_SECRET),
        ),
        "booking, an unsubscribe link's token": ("GET", f"/b/{good_unsubscribe_token}"),
        "booking, not a token": ("GET", "/b/p-10"),
    }
    before = await system.settled()

    # when each is used on tracking's public port, then a good unsubscribe link (the control)
    answers = {}
    for name, (method, path) in forged.items():
        body = {"data": {"List-Unsubscribe": "One-Click"}} if method == "POST" else {}
        answer = await system.public.request(method, path, **body)
        answers[name] = answer.status_code
    stored_after_forgeries = await system.stored()
    control = await system.public.post(
        unsubscribe("p-control"), data={"List-Unsubscribe": "One-Click"}
    )

    # then each is refused as the link page says (410 when expired), and only the control
    # published a response
    assert answers == dict.fromkeys(forged, 400) | {"unsubscribe, 91 days old": 410}
    assert control.status_code == 200, control.text
    assert stored_after_forgeries == before
    published = await system.everything_on("recipient.responded")
    assert [(e.clinic_id, e.data.patient_id, e.data.kind.value) for e in published] == [
        (CLINIC_A, "p-control", "UNSUBSCRIBED")
    ]


def signed_form(
    path: str, form: dict[str, str], *, token: str = TWILIO_TOKEN, base: str = PUBLIC_BASE_URL
) -> str:
    return twilio_signature(token, f"{base}{path}", form.items())


async def test_forged_provider_webhooks_are_refused_and_store_nothing(system: System) -> None:
    # given a STOP from a patient's phone, a bounce callback and an email bounce
    inbound, status = "/webhooks/twilio/inbound", "/webhooks/twilio/status"
    stop = {"From": "+15553330001", "To": SMS_FROM, "Body": "STOP", "MessageSid": "SMforged1"}
    bounce = {"MessageSid": "SMforged2", "MessageStatus": "undelivered", "ErrorCode": "30003"}
    events = [{"messageId": "<m-forged@example>", "type": "bounce", "bounceType": "hard"}]
    twilio = {
        "inbound, no signature": (inbound, stop, None),
        "inbound, garbage signature": (inbound, stop, "c2lnbmF0dXJl"),
        "inbound, signed with the development token": (
            inbound,
            stop,
            signed_form(inbound, stop, token=DEVELOPMENT_TWILIO_AUTH_TOKEN),
        ),
        "inbound, signed for another URL": (
            inbound,
            stop,
            signed_form(inbound, stop, base="https://evil.example"),
        ),
        "inbound, signed for another body": (
            inbound,
            stop,
            signed_form(inbound, {**stop, "Body": "hello"}),
        ),
        "status, no signature": (status, bounce, None),
        "status, signed with the development token": (
            status,
            bounce,
            signed_form(status, bounce, token=DEVELOPMENT_TWILIO_AUTH_TOKEN),
        ),
        "status, signed for the inbound route": (status, bounce, signed_form(inbound, bounce)),
    }
    email_headers = {
        "email, no secret": {},
        "email, wrong secret": {"x-webhook-secret": secrets.token_urlsafe(32)},
        "email, the secret's first half": {"x-webhook-secret": EMAIL_SECRET[:20]},
        "email, the secret and more": {"x-webhook-secret": EMAIL_SECRET + "x"},
        "email, the secret as a bearer token": {"authorization": f"Bearer {EMAIL_SECRET}"},
    }
    before = await system.settled()
    published = await system.everything_on("recipient.responded")

    # when each is sent to tracking's public port
    answers = {}
    for name, (path, form, signature) in twilio.items():
        headers = {"x-twilio-signature": signature} if signature else {}
        answers[name] = (await system.public.post(path, data=form, headers=headers)).status_code
    for name, headers in email_headers.items():
        answer = await system.public.post("/webhooks/email/events", json=events, headers=headers)
        answers[name] = answer.status_code
    after = await system.stored()
    # and, as a control, the same requests signed right
    controls = [
        await system.public.post(
            path, data=form, headers={"x-twilio-signature": signed_form(path, form)}
        )
        for path, form in ((inbound, stop), (status, bounce))
    ]
    controls.append(
        await system.public.post(
            "/webhooks/email/events", json=events, headers={"x-webhook-secret": EMAIL_SECRET}
        )
    )

    # then the forgeries are refused (403 Twilio, 401 email) and stored nothing; the controls
    # are accepted and stored what they carry (an unmatched reply and two early outcomes)
    assert answers == dict.fromkeys(twilio, 403) | dict.fromkeys(email_headers, 401)
    assert after == before
    assert [c.status_code for c in controls] == [200, 204, 200], [c.text for c in controls]
    assert await system.stored() != before
    assert await system.everything_on("recipient.responded") == published  # nothing matched


def too_large(answer: httpx.Response, limit: int) -> tuple[int, Any]:
    return answer.status_code, answer.json()["error"]


async def chunks(size: int, piece: int = 256 * 1024) -> AsyncIterator[bytes]:
    """A body of `size` bytes sent without a Content-Length."""
    while size > 0:
        yield b" " * min(piece, size)
        size -= piece


PUBLIC_ROUTES = ["/webhooks/twilio/inbound", "/webhooks/twilio/status", "/webhooks/email/events"]


async def test_oversized_bodies_are_refused_everywhere_and_store_nothing(system: System) -> None:
    # given every path of the gateway's route table, GraphQL, and tracking's public routes
    limit = system.gateway_settings.max_body_bytes
    import_limit = system.gateway_settings.max_import_body_bytes
    public_limit = system.tracking.max_public_body_bytes
    paths = sorted({route.path.format(id=system.campaigns["DRAFT"]["id"]) for route in ROUTES})
    paths = [*paths, "/graphql"]
    before = await system.settled()
    system.forget_calls()

    # when each gets one byte past its limit, declared and chunked, with and without a token
    # (chunked with the admin's token only where the route reads a body: elsewhere the body is
    # not read and the admin's call is simply made)
    draft = system.campaigns["DRAFT"]["id"]
    # (the import's own streamed case: test_an_import_past_its_limit_stores_no_patient)
    readers = {(r.method, r.path.format(id=draft)) for r in ROUTES if r.request_body}
    readers |= {("POST", "/graphql")}
    declared: dict[str, Any] = {}
    streamed: dict[str, int] = {}
    for path in paths:
        own = import_limit if path == IMPORT_PATH else limit
        for method in ("POST", "PUT"):
            for who, headers in (("anonymous", {}), ("admin", ADMIN_A)):
                sent = {**headers, "content-type": "application/json"}
                answer = await system.gateway.request(
                    method, path, content=b" " * (own + 1), headers=sent
                )
                declared[f"{method} {path} {who}"] = (answer.status_code, answer.json()["error"])
                if who == "anonymous" or (method, path) in readers:
                    answer = await system.gateway.request(
                        method, path, content=chunks(own + 1), headers=sent
                    )
                    streamed[f"{method} {path} {who}"] = answer.status_code
    for path in PUBLIC_ROUTES:
        for size in (public_limit + 1, limit + 1):
            headers = {"x-webhook-secret": EMAIL_SECRET}  # the right one: the size decides
            answer = await system.public.post(path, content=b" " * size, headers=headers)
            declared[f"POST {path} {size}"] = (answer.status_code, answer.json()["error"]["code"])
            answer = await system.public.post(path, content=chunks(size), headers=headers)
            streamed[f"POST {path} {size}"] = answer.status_code
    unsubscribe = unsubscribe_link("", LINK_SECRET, claims_of("p-big"), now=NOW)
    answer = await system.public.post(unsubscribe, content=chunks(public_limit + 1))
    streamed[f"POST /u/ {public_limit + 1}"] = answer.status_code

    # then a declared one is 413 before anything (the caller is not even checked); a chunked
    # one is 413 where the route reads a body, else refused unread (a real port then closes
    # the connection); nothing reaches a service and nothing is stored
    def refusal(path: str) -> dict[str, Any]:
        own = import_limit if path == IMPORT_PATH else limit
        return {"code": "TOO_LARGE", "message": f"request body over {own} bytes", "limit": own}

    expected = {
        name: (413, refusal(name.split()[1])) for name in declared if "webhooks" not in name
    }
    expected |= {name: (413, "TOO_LARGE") for name in declared if "webhooks" in name}
    assert declared == expected
    unread = {name: status for name, status in streamed.items() if status != 413}
    assert all(
        status in (401, 405) and name.endswith("anonymous") for name, status in unread.items()
    ), unread
    assert sum(name.endswith("admin") for name in streamed) == len(readers)
    assert system.calls() == []
    assert await system.stored() == before


ESTIMATE = "audienceEstimate(targeting: {{inactiveDays: {days}}}) {{ __typename }}"


def estimates(count: int) -> str:
    return " ".join(f"e{n}: " + ESTIMATE.format(days=90 + n) for n in range(count))


def deep(fields: int) -> str:
    """`fields` levels of nested fields: campaigns > edges > node, then stats > campaign as
    often as fits, then id. The limiter counts depth below the top-level field (strawberry's
    QueryDepthLimiter, as graphql-depth-limit): `fields` levels are depth `fields - 1`."""
    inner, level = "id", 4
    while level + 2 <= fields:
        inner = f"stats {{ ... on CampaignStats {{ campaign {{ {inner} }} }} }}"
        level += 2
    if level < fields:
        inner = f"stats {{ ... on CampaignStats {{ campaign {{ {inner} }} }} }}".replace(
            "campaign { id }", "sent"
        )
    return f"campaigns {{ edges {{ node {{ {inner} }} }} }}"


ALIASES_31 = " ".join(f"a{n}: campaigns {{ totalCount }}" for n in range(31))
BOMBS: dict[str, tuple[str, str]] = {
    "31 aliases": (f"query {{ {ALIASES_31} }}", "31 aliases found"),
    "31 aliases in fragments": (
        "query { ...A ...B } fragment A on Query { "
        + " ".join(f"a{n}: campaigns {{ totalCount }}" for n in range(16))
        + " } fragment B on Query { "
        + " ".join(f"b{n}: campaigns {{ totalCount }}" for n in range(15))
        + " }",
        "31 aliases found",
    ),
    "depth 11": (f"query {{ {deep(12)} }}", "exceeds maximum operation depth of 10"),
    "depth 11 through fragments": (
        "query { ...Deep } fragment Deep on Query { " + deep(12) + " }",
        "exceeds maximum operation depth of 10",
    ),
    "3 estimates": (f"query {{ {estimates(3)} }}", "audienceEstimate 3 times; at most 2"),
    "3 estimates through fragments": (
        f"query {{ ...E ...E2 }} fragment E on Query {{ {estimates(2)} }}"
        f" fragment E2 on Query {{ x: {ESTIMATE.format(days=400)} }}",
        "audienceEstimate 3 times; at most 2",
    ),
    "6 campaign stats": (
        "query { "
        + " ".join(f's{n}: campaignStats(id: "c-{n}") {{ __typename }}' for n in range(6))
        + " }",
        "campaignStats 6 times; at most 5",
    ),
    "4001 tokens": ("query { " + "__typename " * 4001 + "}", "more than 4000 tokens"),
}
COSTLY = {
    "3 estimates": {"code": "TOO_COSTLY", "field": "audienceEstimate", "limit": 2, "requested": 3},
    "3 estimates through fragments": {
        "code": "TOO_COSTLY",
        "field": "audienceEstimate",
        "limit": 2,
        "requested": 3,
    },
    "6 campaign stats": {
        "code": "TOO_COSTLY",
        "field": "campaignStats",
        "limit": 5,
        "requested": 6,
    },
}


async def test_alias_depth_and_cost_bombs_are_refused_before_any_service_call(
    system: System,
) -> None:
    # given a view-only staff member's valid token
    system.forget_calls()

    # when they send each bomb, by POST and by GET, and as a batch of operations
    answers = {}
    for name, (document, _) in BOMBS.items():
        posted = await system.graphql(document, **VIEWER_A)
        got = await system.gateway.get("/graphql", params={"query": document}, headers=VIEWER_A)
        answers[name] = (posted, got.json())
    batch = await system.gateway.post(
        "/graphql",
        json=[{"query": f"query {{ {estimates(2)} }}"}] * 3,
        headers=VIEWER_A,
    )

    # then each is refused whole with its reason (and code where it has one), nothing called
    for name, (posted, got) in answers.items():
        assert posted == got, name
        assert posted.get("data") is None, (name, posted)
        (error,) = posted["errors"]
        assert BOMBS[name][1] in error["message"], (name, error)
        if name in COSTLY:
            assert error["extensions"] == COSTLY[name]
    assert batch.status_code == 400, batch.text
    assert system.calls() == []


async def test_the_same_operations_within_the_limits_run(system: System) -> None:
    document = f"query {{ {deep(11)} {estimates(2)} }}"  # depth 10, two estimates
    system.forget_calls()

    answer = await system.graphql(document, **VIEWER_A)

    assert "errors" not in answer, answer
    assert any(call.endswith("/estimate") for call in system.calls()), system.calls()


async def csv_past(limit: int) -> AsyncIterator[bytes]:
    """A well-formed patient file one row past `limit` bytes, streamed without a length."""
    yield b"patientId,firstName,email\n"
    sent, row = 0, 0
    while sent <= limit:
        piece = b"".join(
            f"p-big-{row + n},Ada,ada{row + n}@mail.example\n".encode() for n in range(2000)
        )
        row += 2000
        sent += len(piece)
        yield piece


async def test_an_import_past_its_limit_stores_no_patient(system: System) -> None:
    # given a manager's well-formed patient file, larger than the import's limit
    before = await system.settled()

    # when it is streamed to the gateway
    answer = await system.gateway.post(
        IMPORT_PATH,
        content=csv_past(system.gateway_settings.max_import_body_bytes),
        headers={**MANAGER_A, "content-type": "text/csv"},
    )

    # then it is refused, and no row of it was kept
    assert answer.status_code == 413, answer.text
    assert await system.settled() == before
