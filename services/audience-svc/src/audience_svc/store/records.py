"""How campaign events become audience's stored records: pure functions shared by the MongoDB
store and the unit tests' in-memory one, so both hold the same records."""

from typing import Any

from reengage_common.events import CampaignLaunched, CampaignStatusChanged

# A stored record: `_id` and its fields, as stored.
Record = dict[str, Any]


def run_id(campaign_id: str, run_number: int) -> str:
    """A campaign run's record id, and the id of the plan its launch fans out."""
    return f"{campaign_id}:{run_number}"


def run_record(clinic_id: str, launched: CampaignLaunched) -> Record:
    """The snapshot fan-outs, daily enrolment and channel fallbacks read of one run."""
    return {
        "_id": run_id(launched.campaign_id, launched.run_number),
        "clinic_id": clinic_id,
        "campaign_id": launched.campaign_id,
        "run_number": launched.run_number,
        "refresh_daily": launched.refresh_daily,
        "launched_at": launched.launched_at,
        "launched": launched.model_dump(mode="json", by_alias=True),
    }


def status_record(changed: CampaignStatusChanged) -> Record:
    """One status change, its id derived from the event (a redelivery inserts nothing)."""
    return {
        "_id": f"{changed.campaign_id}:{changed.at.isoformat()}:{changed.to.value}",
        "campaign_id": changed.campaign_id,
        "to": changed.to.value,
        "at": changed.at,
    }
