"""Campaign mutations, one file each, merged into one type."""

from strawberry.tools import merge_types

from gateway.schema.campaigns.mutations.cancel_campaign import CancelCampaignMutation
from gateway.schema.campaigns.mutations.create_campaign import CreateCampaignMutation
from gateway.schema.campaigns.mutations.delete_campaign import DeleteCampaignMutation
from gateway.schema.campaigns.mutations.duplicate_campaign import DuplicateCampaignMutation
from gateway.schema.campaigns.mutations.launch_campaign import LaunchCampaignMutation
from gateway.schema.campaigns.mutations.pause_campaign import PauseCampaignMutation
from gateway.schema.campaigns.mutations.preview_campaign import PreviewCampaignMutation
from gateway.schema.campaigns.mutations.resume_campaign import ResumeCampaignMutation
from gateway.schema.campaigns.mutations.update_campaign import UpdateCampaignMutation

CampaignMutations = merge_types(
    "CampaignMutations",
    (
        CreateCampaignMutation,
        UpdateCampaignMutation,
        DeleteCampaignMutation,
        LaunchCampaignMutation,
        PauseCampaignMutation,
        ResumeCampaignMutation,
        CancelCampaignMutation,
        DuplicateCampaignMutation,
        PreviewCampaignMutation,
    ),
)
