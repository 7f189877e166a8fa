"""The caller's clinic profile."""

import strawberry

from gateway.operations import clinic
from gateway.operations.errors import NotFound
from gateway.schema.clinic.types import ClinicProfile, profile_from_wire
from gateway.schema.errors import result_of
from gateway.schema.info import GatewayInfo
from gateway.schema.permissions import VIEW


@strawberry.type
class ClinicQueries:
    @strawberry.field(
        permission_classes=VIEW, description="Your clinic's profile; null until it is saved."
    )
    async def clinic(self, info: GatewayInfo) -> ClinicProfile | None:
        found = await result_of(
            clinic.get_clinic_profile(info.context.caller()),
            profile_from_wire,
            expected=(NotFound,),
        )
        return found if isinstance(found, ClinicProfile) else None
