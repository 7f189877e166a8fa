"""The clinic profile in GraphQL, generated from the one pydantic model (`events.ClinicProfile`)
that is also the REST schema and the snapshot in campaign.launched."""

from typing import Annotated, Any

import strawberry
from strawberry.experimental import pydantic as from_pydantic

from gateway.schema.errors import ValidationError
from reengage_common import events


@from_pydantic.type(model=events.Address, all_fields=True, description="A postal address.")
class PostalAddress:
    pass


@from_pydantic.type(
    model=events.QuietHours,
    all_fields=True,
    description="Hours (HH:MM, the patient's local time) messages may go; within 08:00-21:00.",
)
class QuietHours:
    pass


@from_pydantic.type(
    model=events.ClinicProfile,
    all_fields=True,
    description="What messages say about the clinic, who sends them, its booking page and hours.",
)
class ClinicProfile:
    pass


def profile_from_wire(doc: dict[str, Any]) -> ClinicProfile:
    """campaign-svc's camelCase JSON as the GraphQL type."""
    return ClinicProfile.from_pydantic(events.ClinicProfile.model_validate(doc))


@from_pydantic.input(model=events.Address, all_fields=True)
class PostalAddressInput:
    pass


@from_pydantic.input(model=events.QuietHours, all_fields=True)
class QuietHoursInput:
    pass


@from_pydantic.input(
    model=events.ClinicProfile,
    all_fields=True,
    description="The whole profile; an update replaces all of it.",
)
class ClinicProfileInput:
    # Left out or null: the legal window, 08:00-21:00.
    quiet_hours: QuietHoursInput | None = None


UpdateClinicProfileResult = Annotated[
    ClinicProfile | ValidationError, strawberry.union("UpdateClinicProfileResult")
]
