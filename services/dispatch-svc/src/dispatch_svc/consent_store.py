"""The consent changes dispatch keeps (see `domain.consents`): stored by the consumer owning
the patient's partition, read per clinic by the sender.

A record carries the clinic and patient that queries filter on; the change itself travels as
one JSON text field (why: the `store` module's docstring).
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from dispatch_svc.domain.consents import ConsentChange
from dispatch_svc.store import ConsentChangeRecord, collection
from reengage_common import codec
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
        "change": codec.encode_text(stated),
    }


def consent_change_of(record: dict[str, Any]) -> ConsentChange:
    stated = codec.decode(record["change"])
    return ConsentChange(
        patient_id=record["patient_id"],
        at=datetime.fromisoformat(stated["at"]),
        event_id=record["_id"],
        withheld=frozenset(Channel(channel) for channel in stated["withheld"]),
        do_not_contact=stated["doNotContact"],
        deceased=stated["deceased"],
    )


class PatientsWithChanges:
    """Which patients of a clinic have a stored consent change, as this consumer knows them.

    A clinic's records are read whole once, then kept up to date as this consumer stores more:
    it is the one writer of its partitions' patients, and it only ever asks about those. When
    it is given partitions it forgets everything, since the previous owner of a new partition
    may have stored changes of its patients meanwhile.

    Before, each batch of upserts read the clinic's records again: with ~20,000 restricted
    patients in a 100,000-patient import that kept dispatch's consumer ~60 s behind the seed's
    end. (The records are read whole and matched here because FerretDB evaluates `$in` in Go
    against every record the clinic's equality lets through, once per listed id.)"""

    def __init__(self) -> None:
        self._by_clinic: dict[str, set[str]] = {}

    def forget(self) -> None:
        self._by_clinic.clear()

    async def among(self, clinic_id: str, patient_ids: Iterable[str]) -> set[str]:
        wanted = set(patient_ids)
        if not wanted:
            return set()
        known = self._by_clinic.get(clinic_id)
        if known is None:
            found = collection(ConsentChangeRecord).find(
                {"clinic_id": clinic_id}, {"patient_id": 1}
            )
            known = {record["patient_id"] async for record in found}
            self._by_clinic[clinic_id] = known
        return known & wanted

    def stored(self, records: Iterable[dict[str, Any]]) -> None:
        """Records now stored (call after the insert, never before)."""
        for record in records:
            known = self._by_clinic.get(record["clinic_id"])
            if known is not None:
                known.add(record["patient_id"])


async def consent_changes_of_clinic(clinic_id: str) -> list[ConsentChange]:
    records = await collection(ConsentChangeRecord).find({"clinic_id": clinic_id}).to_list()
    return [consent_change_of(record) for record in records]
