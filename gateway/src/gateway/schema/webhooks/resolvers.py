"""Webhook endpoint queries and mutations (dispatch-svc keeps the endpoints and delivers)."""

import strawberry

from gateway.operations import errors, webhooks
from gateway.operations.errors import NotFound
from gateway.schema.errors import answer_of, result_of
from gateway.schema.info import GatewayInfo
from gateway.schema.permissions import MANAGE_CAMPAIGNS, VIEW
from gateway.schema.webhooks.types import (
    CreatedWebhookEndpoint,
    CreateWebhookEndpointResult,
    DeletedWebhookEndpoint,
    DeleteWebhookEndpointResult,
    SendTestWebhookResult,
    TestWebhookSent,
    UpdateWebhookEndpointResult,
    WebhookEndpoint,
    WebhookEndpointInput,
)
from gateway.schema.wire import to_wire


@strawberry.type
class WebhookQueries:
    @strawberry.field(
        permission_classes=VIEW, description="Your clinic's outbound webhook endpoints."
    )
    async def webhook_endpoints(self, info: GatewayInfo) -> list[WebhookEndpoint] | None:
        found = await answer_of(webhooks.list_endpoints(info.context.caller()))
        return [WebhookEndpoint.from_wire(doc) for doc in found]

    @strawberry.field(permission_classes=VIEW, description="Null when not in your clinic.")
    async def webhook_endpoint(
        self, info: GatewayInfo, id: strawberry.ID
    ) -> WebhookEndpoint | None:
        found = await result_of(
            webhooks.get_endpoint(info.context.caller(), str(id)),
            WebhookEndpoint.from_wire,
            expected=(NotFound,),
        )
        return found if isinstance(found, WebhookEndpoint) else None


@strawberry.type
class WebhookMutations:
    @strawberry.mutation(
        permission_classes=MANAGE_CAMPAIGNS,
        description="Register an https endpoint for chosen events; answers its signing secret once.",
    )
    async def create_webhook_endpoint(
        self, info: GatewayInfo, input: WebhookEndpointInput
    ) -> CreateWebhookEndpointResult | None:
        return await result_of(
            webhooks.create_endpoint(info.context.caller(), to_wire(input)),
            CreatedWebhookEndpoint.from_wire,
            expected=(errors.Invalid,),
        )

    @strawberry.mutation(
        permission_classes=MANAGE_CAMPAIGNS,
        description="Replace an endpoint's URL, events, description, enabled (the secret stays).",
    )
    async def update_webhook_endpoint(
        self, info: GatewayInfo, id: strawberry.ID, input: WebhookEndpointInput
    ) -> UpdateWebhookEndpointResult | None:
        return await result_of(
            webhooks.replace_endpoint(info.context.caller(), str(id), to_wire(input)),
            WebhookEndpoint.from_wire,
            expected=(errors.Invalid, errors.NotFound),
        )

    @strawberry.mutation(
        permission_classes=MANAGE_CAMPAIGNS,
        description="Delete an endpoint; its pending deliveries are dropped.",
    )
    async def delete_webhook_endpoint(
        self, info: GatewayInfo, id: strawberry.ID
    ) -> DeleteWebhookEndpointResult | None:
        return await result_of(
            webhooks.delete_endpoint(info.context.caller(), str(id)),
            lambda doc: DeletedWebhookEndpoint(id=strawberry.ID(doc["id"]), deleted=True),
            expected=(errors.NotFound,),
        )

    @strawberry.mutation(
        permission_classes=MANAGE_CAMPAIGNS,
        description="Send the endpoint a signed webhook.test event (retried like any delivery).",
    )
    async def send_test_webhook(
        self, info: GatewayInfo, id: strawberry.ID
    ) -> SendTestWebhookResult | None:
        return await result_of(
            webhooks.send_test(info.context.caller(), str(id)),
            lambda doc: TestWebhookSent(delivery_id=doc["deliveryId"]),
            expected=(errors.NotFound,),
        )
