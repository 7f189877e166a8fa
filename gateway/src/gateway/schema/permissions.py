"""The spec's permissions as strawberry permission classes, placed on each field.

They test the same `Requirement`s the operations enforce, so GraphQL and REST agree.
"""

from typing import Any, ClassVar

from strawberry.permission import BasePermission

from gateway.operations.access import LAUNCH, MANAGE, READ, Requirement
from gateway.operations.errors import Forbidden, Unauthenticated
from gateway.schema.info import GatewayInfo


class IsAuthenticated(BasePermission):
    message = "Not signed in: send Authorization: Bearer <token>"
    error_extensions = {"code": Unauthenticated.code}

    def has_permission(self, source: Any, info: GatewayInfo, **kwargs: Any) -> bool:
        return info.context.identity_or_none() is not None


class _Meets(BasePermission):
    requirement: ClassVar[Requirement]
    error_extensions = {"code": Forbidden.code}

    def has_permission(self, source: Any, info: GatewayInfo, **kwargs: Any) -> bool:
        identity = info.context.identity_or_none()
        return identity is not None and self.requirement.allows(identity)


class CanViewAnalytics(_Meets):
    requirement = READ
    message = READ.describe()


class CanManageReminders(_Meets):
    requirement = MANAGE
    message = MANAGE.describe()


class CanLaunchCampaigns(_Meets):
    requirement = LAUNCH
    message = LAUNCH.describe()


# What a field lists in `permission_classes`: authentication first, so each failure has its code.
VIEW = [IsAuthenticated, CanViewAnalytics]
MANAGE_CAMPAIGNS = [IsAuthenticated, CanManageReminders]
LAUNCH_CAMPAIGNS = [IsAuthenticated, CanLaunchCampaigns]
