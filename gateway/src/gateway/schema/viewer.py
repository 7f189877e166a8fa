"""The caller as the verified token says."""

import strawberry

from gateway.schema.info import GatewayInfo


@strawberry.type
class Viewer:
    user_id: str
    clinic_id: str
    role: str
    permissions: list[str]


@strawberry.type
class ViewerQueries:
    @strawberry.field(description="The caller as the verified token says; null without a token.")
    def me(self, info: GatewayInfo) -> Viewer | None:
        identity = info.context.identity_or_none()
        if identity is None:
            return None
        return Viewer(
            user_id=identity.user_id,
            clinic_id=identity.clinic_id,
            role=identity.role,
            permissions=sorted(identity.permissions),
        )
