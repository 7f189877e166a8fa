"""Inbound SMS: which clinic's patient sent it, and free replies kept for staff.

A reply belongs to the pair (patient number `From`, clinic number `To`). One phone can be a
patient of several clinics, so the patient's number alone does not say whose reply it is: a
reply or a STOP sent to clinic A's number must reach A's campaign and never B's.

Design: the clinic number a message was sent from is the `smsFrom` of the clinic profile in
its campaign's `campaign.launched` snapshot (dispatch sends from it; campaign-svc refuses to
launch an SMS campaign without one). tracking already stores every run's snapshot
(`store.documents.LaunchedCampaign`), so no event changes: the candidates are the SMS steps due to
`From` (one query), kept only where a run of their campaign sends from `To` (one query over
the small campaigns collection). Because the snapshot is stored before any step is due, a
reply that arrives before its `message.sent` is still matched. An inbound message to a
number no candidate's campaign sends from is kept in `unmatched_inbound`, never guessed.

Status callbacks need no pair: Twilio's `MessageSid` names exactly one message of the
account, so matching it by that id cannot cross clinics.
"""

from datetime import datetime
from typing import Any

from tracking_svc.domain import facts as f
from tracking_svc.domain.facts import Fact, iso
from tracking_svc.store import TrackingStore
from tracking_svc.store.records import unmatched_inbound


async def match_sender(
    store: TrackingStore, phone: str, clinic_number: str
) -> dict[str, Any] | None:
    """The latest SMS step to `phone` from a campaign that sends from `clinic_number`: the
    latest sent one, or failing that the latest due one (its message.sent may be on its way)."""
    candidates = await store.contacts_by_phone(phone)
    senders = await store.sms_senders({(c["clinic_id"], c["campaign_id"]) for c in candidates})
    ours = [c for c in candidates if clinic_number in senders.get(_campaign(c), ())]
    ours.sort(key=lambda c: c["at"], reverse=True)
    for candidate in ours:
        if await store.contact_by_key(f"sent:{candidate['message_id']}") is not None:
            return candidate
    return ours[0] if ours else None


def _campaign(contact: dict[str, Any]) -> tuple[str, str]:
    return contact["clinic_id"], contact["campaign_id"]


async def keep_unmatched_inbound(
    store: TrackingStore, sid: str, form: dict[str, str], at: datetime
) -> None:
    await store.keep_unmatched_inbound(unmatched_inbound(sid, form, at))


async def store_reply(
    store: TrackingStore, recipient: dict[str, Any], sid: str, text: str, at: datetime
) -> None:
    fact = Fact(f.REPLY, f"reply:{sid}", recipient["patient"], iso(at), {"text": text[:1600]})
    await store.store_facts({recipient["clinic_id"]: [(recipient["campaign_id"], fact)]})
