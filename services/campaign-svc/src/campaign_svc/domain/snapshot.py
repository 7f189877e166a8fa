"""The events a campaign's transitions publish, and the copy a duplicate starts from."""

from datetime import datetime

from campaign_svc.domain.lifecycle import EventKind, Transition
from campaign_svc.domain.model import NAME_MAX_LENGTH, Campaign, CampaignInput
from reengage_common.events import CampaignLaunched, CampaignStatusChanged, ClinicProfile

COPY_PREFIX = "Copy of "


def launched_event(
    campaign_id: str,
    definition: CampaignInput,
    *,
    launched_at: datetime,
    run_number: int = 1,
    clinic: ClinicProfile | None = None,
) -> CampaignLaunched:
    """The full snapshot audience-svc and dispatch-svc work from for this run."""
    # A deep copy, so later edits to the definition object cannot reach an event in the outbox.
    snapshot = definition.model_copy(deep=True)
    return CampaignLaunched(
        campaign_id=campaign_id,
        name=snapshot.name,
        targeting=snapshot.targeting,
        channels=snapshot.channels,
        message_templates=snapshot.message_templates,
        variants=snapshot.variants,
        holdout_percent=snapshot.holdout_percent,
        schedule=snapshot.schedule,
        incentive=snapshot.incentive,
        run_number=run_number,
        launched_at=launched_at,
        refresh_daily=snapshot.refresh_daily,
        clinic=clinic,
        default_language=snapshot.default_language,
        channel_fallback=snapshot.channel_fallback,
        group_households=snapshot.group_households,
    )


def status_changed_event(
    campaign_id: str, change: Transition, *, at: datetime
) -> CampaignStatusChanged:
    # By wire names: type checkers only accept the alias `from`, which no keyword can spell.
    return CampaignStatusChanged.model_validate(
        {"campaignId": campaign_id, "from": change.from_status, "to": change.to_status, "at": at}
    )


def event_for(
    campaign: Campaign,
    change: Transition,
    *,
    at: datetime,
    run_number: int = 1,
    clinic: ClinicProfile | None = None,
) -> CampaignLaunched | CampaignStatusChanged | None:
    """The event to store in the outbox with the campaign after `change`; None if there is none."""
    if change.event is EventKind.LAUNCHED:
        return launched_event(
            campaign.id, campaign.definition, launched_at=at, run_number=run_number, clinic=clinic
        )
    if change.event is EventKind.STATUS_CHANGED:
        return status_changed_event(campaign.id, change, at=at)
    return None


def duplicate_name(name: str) -> str:
    """ "Copy of <name>", cut to the name limit."""
    return f"{COPY_PREFIX}{name}"[:NAME_MAX_LENGTH].rstrip()


def duplicate(definition: CampaignInput) -> CampaignInput:
    """The definition of a new DRAFT copied from `definition`, renamed "Copy of …".

    The copy has no incentive code: two campaigns sharing one make ROI attribution ambiguous,
    so the clinic chooses a new code before launching the copy.
    """
    incentive = definition.incentive.model_copy(update={"incentive_code": None})
    return definition.model_copy(
        deep=True, update={"name": duplicate_name(definition.name), "incentive": incentive}
    )
