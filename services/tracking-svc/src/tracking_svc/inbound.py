"""Inbound SMS: who sent it (the patient the campaign last texted at that number), and free
replies kept for staff as facts of their own (a unique insert any replica may make)."""

from datetime import datetime
from typing import Any

from tracking_svc.domain import facts as f
from tracking_svc.domain.facts import Fact, iso
from tracking_svc.store import contact_by_key, contacts_by_phone, store_facts


async def match_sender(phone: str) -> dict[str, Any] | None:
    """The latest SMS step to `phone` that was sent (or, failing that, was due)."""
    candidates = sorted(await contacts_by_phone(phone), key=lambda c: c["at"], reverse=True)
    for candidate in candidates:
        if await contact_by_key(f"sent:{candidate['message_id']}") is not None:
            return candidate
    return candidates[0] if candidates else None


async def store_reply(recipient: dict[str, Any], sid: str, text: str, at: datetime) -> None:
    fact = Fact(f.REPLY, f"reply:{sid}", recipient["patient"], iso(at), {"text": text[:1600]})
    await store_facts({recipient["clinic_id"]: [(recipient["campaign_id"], fact)]})
