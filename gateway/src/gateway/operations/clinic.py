"""Clinic profile operations: campaign-svc keeps and validates the profile; these authorize and
forward. The clinic is the caller's token's, never input."""

from typing import Any

from gateway.operations.access import MANAGE, READ, Caller, requires
from gateway.operations.errors import FieldProblem, Invalid
from gateway.operations.service_calls import JSONDocument, call_service
from reengage_common.error_codes import RequestErrorCode

SERVICE = "campaign-svc"


@requires(READ)
async def get_clinic_profile(caller: Caller) -> JSONDocument:
    """The profile; NotFound while the clinic has saved none."""
    return await call_service(caller, SERVICE, "GET", "/clinic")


@requires(MANAGE)
async def update_clinic_profile(caller: Caller, profile: Any) -> JSONDocument:
    """Replace the whole profile; Invalid names each bad field and changes nothing."""
    if not isinstance(profile, dict):
        raise Invalid(
            "expected a JSON object",
            [FieldProblem("clinic", "expected a JSON object", RequestErrorCode.INVALID_TYPE)],
        )
    return await call_service(caller, SERVICE, "PUT", "/clinic", json=profile)
