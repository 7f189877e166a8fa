"""`message.received`: each matched inbound SMS, for the front desk's inbox (dispatch-svc).

Its envelope id depends only on Twilio's MessageSid, so a retried webhook publishes the same
event again and the inbox keeps it once."""

import uuid
from datetime import datetime
from typing import Any

from reengage_common.events import ClinicProfile, Envelope, MessageReceived
from reengage_common.logging import current_trace_id

RECEIVED_NAMESPACE = uuid.UUID("0d7f2f4e-6a1b-4c59-9f4e-3b8f1f0a7c21")


def received_envelope(
    recipient: dict[str, Any],
    *,
    sid: str,
    sender: str,
    clinic_number: str,
    text: str,
    meaning: str,
    clinic: ClinicProfile | None,
    at: datetime,
) -> Envelope[MessageReceived]:
    event = MessageReceived(
        message_sid=sid[:64],
        campaign_id=recipient["campaign_id"],
        patient_id=recipient["patient"],
        sender=sender[:32],
        clinic_number=clinic_number[:32],
        body=text[:1600],
        meaning=meaning,
        timezone=clinic.timezone if clinic else None,
        at=at,
    )
    return Envelope[MessageReceived](
        id=str(uuid.uuid5(RECEIVED_NAMESPACE, sid)),
        type=event.topic,
        version=event.version,
        source="tracking-svc",
        time=at,
        clinic_id=recipient["clinic_id"],
        trace_id=current_trace_id(),
        data=event,
    )
