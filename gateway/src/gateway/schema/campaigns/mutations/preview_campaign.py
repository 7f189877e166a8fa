"""previewCampaign: render every message step with a real patient's data or sample data.

Rendering with patient data is why it needs the manage permission rather than the read one.
"""

from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from gateway.operations import campaigns, errors
from gateway.schema.campaigns.types import CampaignPreview
from gateway.schema.errors import NotFound, ValidationError, result_of
from gateway.schema.info import GatewayInfo
from gateway.schema.permissions import MANAGE_CAMPAIGNS

PreviewCampaignResult = Annotated[
    CampaignPreview | ValidationError | NotFound, strawberry.union("PreviewCampaignResult")
]


@strawberry.type
class PreviewCampaignMutation:
    @strawberry.mutation(
        permission_classes=MANAGE_CAMPAIGNS, description="Render the messages as sent."
    )
    async def preview_campaign(
        self,
        info: GatewayInfo,
        id: strawberry.ID,
        patient_id: strawberry.ID | None = None,
        sample_data: JSON | None = None,
        language: Annotated[
            str | None,
            strawberry.argument(
                description="Preview in this language (es, es-MX): each step's template in it, "
                "else the default one; default: the patient's language, else the campaign's"
            ),
        ] = None,
    ) -> PreviewCampaignResult | None:
        return await result_of(
            campaigns.preview_campaign(
                info.context.caller(),
                str(id),
                patient_id=str(patient_id) if patient_id is not None else None,
                sample_data=sample_data,
                language=language,
            ),
            CampaignPreview.from_wire,
            expected=(errors.Invalid, errors.NotFound),
        )
