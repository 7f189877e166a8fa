"""updateClinicProfile: replace the caller's clinic profile (campaign-svc validates it)."""

import strawberry

from gateway.operations import clinic, errors
from gateway.schema.clinic.types import (
    ClinicProfileInput,
    UpdateClinicProfileResult,
    profile_from_wire,
)
from gateway.schema.errors import result_of
from gateway.schema.info import GatewayInfo
from gateway.schema.permissions import MANAGE_CAMPAIGNS


@strawberry.type
class UpdateClinicProfileMutation:
    @strawberry.mutation(
        permission_classes=MANAGE_CAMPAIGNS,
        description="Replace your clinic's profile; ValidationError names each bad field.",
    )
    async def update_clinic_profile(
        self, info: GatewayInfo, input: ClinicProfileInput
    ) -> UpdateClinicProfileResult | None:
        # Only types are checked here; campaign-svc applies the rules and names each bad field.
        body = input.to_pydantic().model_dump(mode="json", by_alias=True)
        return await result_of(
            clinic.update_clinic_profile(info.context.caller(), body),
            profile_from_wire,
            expected=(errors.Invalid,),
        )
