"""The consent changes dispatch keeps (see `domain.consents`): stored by the consumer owning
the patient's partition, read per clinic by the sender.

A record carries the clinic and patient that queries filter on; the change itself travels as
one JSON text field (why: the `store` module's docstring).
"""

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from dispatch_svc.domain.consents import ConsentChange
from dispatch_svc.store import ConsentChangeRecord, collection
from reengage_common.events import Channel


def consent_record(clinic_id: str, change: ConsentChange) -> dict[str, Any]:
    stated = {
        "at": change.at.isoformat(),
        "withheld": sorted(channel.value for channel in change.withheld),
        "doNotContact": change.do_not_contact,
        "deceased": change.deceased,
    }
    return {
        "_id": change.event_id,
        "clinic_id": clinic_id,
        "patient_id": change.patient_id,
        "change": json.dumps(stated, separators=(",", ":")),
    }


def consent_change_of(record: dict[str, Any]) -> ConsentChange:
    stated = json.loads(record["change"])
    return ConsentChange(
        patient_id=record["patient_id"],
        at=datetime.fromisoformat(stated["at"]),
        event_id=record["_id"],
        withheld=frozenset(Channel(channel) for channel in stated["withheld"]),
        do_not_contact=stated["doNotContact"],
        deceased=stated["deceased"],
    )


async def patients_with_changes(clinic_id: str, patient_ids: Iterable[str]) -> set[str]:
    """Which of these patients have a stored change. The clinic's records are read whole and
    matched here: FerretDB evaluates `$in` in Go against every record the clinic's equality
    lets through, once per listed id (a batch of 1,000 upserts against 20,000 restricted
    patients: 20 million comparisons, so a 100,000-patient import left this consumer a
    minute behind); a set lookup per record is linear."""
    wanted = set(patient_ids)
    if not wanted:
        return set()
    found = collection(ConsentChangeRecord).find({"clinic_id": clinic_id}, {"patient_id": 1})
    return {record["patient_id"] async for record in found if record["patient_id"] in wanted}


async def consent_changes_of_clinic(clinic_id: str) -> list[ConsentChange]:
    records = await collection(ConsentChangeRecord).find({"clinic_id": clinic_id}).to_list()
    return [consent_change_of(record) for record in records]
