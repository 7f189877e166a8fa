"""GET/PUT /api/booking/clinic: the caller's clinic profile, over the shared operations."""

from typing import Any

from starlette.requests import Request

from gateway.operations import clinic
from gateway.operations.access import Caller
from gateway.rest.endpoints import RestRoute, errors, json_body
from reengage_common.events import ClinicProfile

PATH = "/api/booking/clinic"


async def get_clinic_profile(request: Request, caller: Caller) -> Any:
    return await clinic.get_clinic_profile(caller)


async def update_clinic_profile(request: Request, caller: Caller) -> Any:
    return await clinic.update_clinic_profile(caller, await json_body(request))


ROUTES: tuple[RestRoute, ...] = (
    RestRoute(
        "GET",
        PATH,
        clinic.get_clinic_profile,
        get_clinic_profile,
        "Your clinic's profile (404 until it is saved)",
        ClinicProfile,
        errors=errors(
            401, 403, 404, meaning={404: "Your clinic has no profile yet: save one with PUT"}
        ),
        tag="clinic",
    ),
    RestRoute(
        "PUT",
        PATH,
        clinic.update_clinic_profile,
        update_clinic_profile,
        "Replace your clinic's profile: what messages say about the clinic, who sends them, "
        "its booking page and sending hours",
        ClinicProfile,
        request_body=ClinicProfile,
        errors=errors(
            401,
            403,
            409,
            422,
            meaning={
                409: "Another update of the profile was saved meanwhile: read it and try again",
                422: "A field breaks a rule; `error.fields` names each with a `code` "
                "(NOT_E164, NOT_HTTPS, OUTSIDE_LEGAL_HOURS, ...)",
            },
        ),
        tag="clinic",
    ),
)
