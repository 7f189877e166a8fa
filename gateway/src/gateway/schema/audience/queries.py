"""Audience estimate for a targeting, from audience-svc."""

import strawberry

from gateway.operations import audience, errors
from gateway.schema.audience.types import AudienceEstimate, AudienceEstimateResult
from gateway.schema.campaigns.inputs import TargetingInput
from gateway.schema.enums import Channel
from gateway.schema.errors import result_of
from gateway.schema.info import GatewayInfo
from gateway.schema.permissions import VIEW
from gateway.schema.wire import to_wire


@strawberry.type
class AudienceQueries:
    @strawberry.field(
        permission_classes=VIEW,
        description="Patients a targeting reaches now, with exclusions by reason; on the "
        "given channels (default: all). With mergeFields (e.g. patient.lastVisitDate), how many "
        "targeted patients lack each (their messages show its fallback).",
    )
    async def audience_estimate(
        self,
        info: GatewayInfo,
        targeting: TargetingInput,
        channels: list[Channel] | None = None,
        merge_fields: list[str] | None = None,
    ) -> AudienceEstimateResult | None:
        return await result_of(
            audience.estimate_audience(
                info.context.caller(),
                to_wire(targeting),
                to_wire(channels) if channels else None,
                merge_fields,
            ),
            AudienceEstimate.from_wire,
            expected=(errors.Invalid, errors.NotAvailable),
        )
