"""Webhook endpoints and their attempts as GraphQL shows them, from dispatch-svc's JSON."""

from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry

from gateway.operations import webhooks
from gateway.schema.errors import NotFound, ValidationError, answer_of
from gateway.schema.info import GatewayInfo
from gateway.schema.permissions import VIEW
from gateway.schema.wire import to_datetime


@strawberry.enum(description="What an endpoint is sent (the payload's `type`).")
class WebhookEvent(Enum):
    PATIENT_RESPONDED = "patient.responded"
    PATIENT_REBOOKED = "patient.rebooked"
    PATIENT_UNSUBSCRIBED = "patient.unsubscribed"


@strawberry.type(description="One try to deliver an event to an endpoint.")
class WebhookAttempt:
    delivery_id: str = strawberry.field(description="Also the Reengage-Webhook-Id header.")
    event_type: str
    attempt: int
    at: datetime | None
    status_code: int | None
    error: str | None
    duration_ms: int
    outcome: str = strawberry.field(description="DELIVERED, RETRYING (see nextAt) or GAVE_UP")
    next_at: datetime | None

    @classmethod
    def from_wire(cls, doc: dict[str, Any]) -> "WebhookAttempt":
        return cls(
            delivery_id=doc["deliveryId"],
            event_type=doc["eventType"],
            attempt=int(doc["attempt"]),
            at=to_datetime(doc.get("at")),
            status_code=doc.get("statusCode"),
            error=doc.get("error"),
            duration_ms=int(doc.get("durationMs") or 0),
            outcome=doc["outcome"],
            next_at=to_datetime(doc.get("nextAt")),
        )


@strawberry.type(description="An https endpoint of the clinic's that receives chosen events.")
class WebhookEndpoint:
    id: strawberry.ID
    url: str
    events: list[WebhookEvent]
    description: str | None
    enabled: bool
    secret_hint: str = strawberry.field(description="The secret's first and last characters.")
    created_at: datetime | None
    updated_at: datetime | None
    last_attempt: WebhookAttempt | None

    @strawberry.field(permission_classes=VIEW, description="The last 20 attempts, newest first.")
    async def recent_attempts(self, info: GatewayInfo) -> list[WebhookAttempt]:
        detail = await answer_of(webhooks.get_endpoint(info.context.caller(), str(self.id)))
        return [WebhookAttempt.from_wire(a) for a in detail.get("recentAttempts") or []]

    @strawberry.field(permission_classes=VIEW, description="Deliveries still to make or retry.")
    async def pending_deliveries(self, info: GatewayInfo) -> int:
        detail = await answer_of(webhooks.get_endpoint(info.context.caller(), str(self.id)))
        return int(detail.get("pendingDeliveries") or 0)

    @classmethod
    def from_wire(cls, doc: dict[str, Any]) -> "WebhookEndpoint":
        last = doc.get("lastAttempt")
        return cls(
            id=strawberry.ID(doc["id"]),
            url=doc["url"],
            events=[WebhookEvent(e) for e in doc.get("events") or []],
            description=doc.get("description"),
            enabled=bool(doc.get("enabled", True)),
            secret_hint=doc.get("secretHint") or "",
            created_at=to_datetime(doc.get("createdAt")),
            updated_at=to_datetime(doc.get("updatedAt")),
            last_attempt=WebhookAttempt.from_wire(last) if last else None,
        )


@strawberry.type(description="A new endpoint and its signing secret, shown this once.")
class CreatedWebhookEndpoint:
    endpoint: WebhookEndpoint
    secret: str

    @classmethod
    def from_wire(cls, doc: dict[str, Any]) -> "CreatedWebhookEndpoint":
        return cls(endpoint=WebhookEndpoint.from_wire(doc), secret=doc["secret"])


@strawberry.type
class DeletedWebhookEndpoint:
    id: strawberry.ID
    deleted: bool


@strawberry.type(description="A webhook.test delivery is on its way (see recentAttempts).")
class TestWebhookSent:
    delivery_id: str


@strawberry.input(description="An endpoint; saving replaces all of it.")
class WebhookEndpointInput:
    url: str = strawberry.field(description="https only.")
    events: list[WebhookEvent]
    description: str | None = strawberry.UNSET
    enabled: bool | None = strawberry.UNSET


CreateWebhookEndpointResult = Annotated[
    CreatedWebhookEndpoint | ValidationError, strawberry.union("CreateWebhookEndpointResult")
]
UpdateWebhookEndpointResult = Annotated[
    WebhookEndpoint | ValidationError | NotFound, strawberry.union("UpdateWebhookEndpointResult")
]
DeleteWebhookEndpointResult = Annotated[
    DeletedWebhookEndpoint | NotFound, strawberry.union("DeleteWebhookEndpointResult")
]
SendTestWebhookResult = Annotated[
    TestWebhookSent | NotFound, strawberry.union("SendTestWebhookResult")
]
