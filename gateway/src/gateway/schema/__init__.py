"""The GraphQL schema: one folder per domain, merged here.

Expected errors are result types in unions (ValidationError, NotFound, NotAllowed, NotAvailable);
everything else is a GraphQL error with `extensions.code` (see `gateway.schema.errors`).
"""

from collections.abc import Callable, Sequence

import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.tools import merge_types

from gateway.schema.audience.mutations import SavedAudienceMutations
from gateway.schema.audience.queries import AudienceQueries
from gateway.schema.audience.saved_queries import SavedAudienceQueries
from gateway.schema.campaigns.languages import LanguageQueries
from gateway.schema.campaigns.mutations import CampaignMutations
from gateway.schema.campaigns.queries import CampaignQueries
from gateway.schema.clinic.mutations.update_clinic_profile import UpdateClinicProfileMutation
from gateway.schema.clinic.queries import ClinicQueries
from gateway.schema.exports.queries import ExportQueries
from gateway.schema.inbox.resolvers import InboxMutations, InboxQueries
from gateway.schema.inbox.subscriptions import InboxSubscriptions
from gateway.schema.tracking.queries import TrackingQueries
from gateway.schema.tracking.subscriptions import TrackingSubscriptions
from gateway.schema.viewer import ViewerQueries
from gateway.schema.webhooks.resolvers import WebhookMutations, WebhookQueries

Query = merge_types(
    "Query",
    (
        ViewerQueries,
        CampaignQueries,
        LanguageQueries,
        TrackingQueries,
        AudienceQueries,
        SavedAudienceQueries,
        ClinicQueries,
        ExportQueries,
        WebhookQueries,
        InboxQueries,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        CampaignMutations,
        UpdateClinicProfileMutation,
        SavedAudienceMutations,
        WebhookMutations,
        InboxMutations,
    ),
)
Subscription = merge_types("Subscription", (TrackingSubscriptions, InboxSubscriptions))


def build_schema(
    extensions: Sequence[Callable[[], SchemaExtension]],
) -> strawberry.Schema:
    return strawberry.Schema(
        query=Query, mutation=Mutation, subscription=Subscription, extensions=list(extensions)
    )
