"""Audience estimate for a targeting, from audience-svc."""

from collections.abc import Sequence
from typing import Annotated

import strawberry
from strawberry.types.nodes import SelectedField, Selection

from gateway.operations import audience, errors
from gateway.schema.audience.types import AudienceEstimate, AudienceEstimateResult
from gateway.schema.campaigns.inputs import TargetingInput
from gateway.schema.enums import Channel
from gateway.schema.errors import result_of
from gateway.schema.info import GatewayInfo
from gateway.schema.permissions import VIEW
from gateway.schema.wire import to_wire

# Counting messages reads every patient's contact, which the other figures never need: asked
# of audience-svc only when the query selects them.
MESSAGE_FIELDS = frozenset({"messages", "messagesByChannel"})


def asks_for(selections: Sequence[Selection], names: frozenset[str]) -> bool:
    """Whether these selections of one object (through its fragments) name one of `names`."""
    for selection in selections:
        if isinstance(selection, SelectedField):
            if selection.name in names:
                return True
        elif asks_for(selection.selections, names):
            return True
    return False


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
        group_households: Annotated[
            bool,
            strawberry.argument(
                description="As the campaign's groupHouseholds: whether `messages` counts one "
                "message per household or one per patient."
            ),
        ] = True,
    ) -> AudienceEstimateResult | None:
        return await result_of(
            audience.estimate_audience(
                info.context.caller(),
                to_wire(targeting),
                to_wire(channels) if channels else None,
                merge_fields,
                count_messages=any(
                    asks_for(field.selections, MESSAGE_FIELDS) for field in info.selected_fields
                ),
                group_households=group_households,
            ),
            AudienceEstimate.from_wire,
            expected=(errors.Invalid, errors.NotAvailable),
        )
