"""What the `patient.upserted` consumer knows of stored consent changes (see
`domain.consents`); the records' codec lives in `store.codecs` (re-exported here for the
reply inbox of issue 22, which reads them)."""

from collections.abc import Iterable

from dispatch_svc.domain.consents import ConsentChange
from dispatch_svc.store.codecs import consent_change_of, consent_record
from dispatch_svc.store.protocol import DispatchStore

__all__ = ["ConsentChange", "PatientsWithChanges", "consent_change_of", "consent_record"]


class PatientsWithChanges:
    """Which patients of a clinic have a stored consent change, as this consumer knows them.

    A clinic's records are read whole once, then kept up to date as this consumer stores more:
    it is the one writer of its partitions' patients, and it only ever asks about those. When
    it is given partitions it forgets everything, since the previous owner of a new partition
    may have stored changes of its patients meanwhile.

    Before, each batch of upserts read the clinic's records again: with ~20,000 restricted
    patients in a 100,000-patient import that kept dispatch's consumer ~60 s behind the seed's
    end."""

    def __init__(self, store: DispatchStore) -> None:
        self._store = store
        self._by_clinic: dict[str, set[str]] = {}

    def forget(self) -> None:
        self._by_clinic.clear()

    async def among(self, clinic_id: str, patient_ids: Iterable[str]) -> set[str]:
        wanted = set(patient_ids)
        if not wanted:
            return set()
        known = self._by_clinic.get(clinic_id)
        if known is None:
            known = await self._store.patients_with_consent_changes(clinic_id)
            self._by_clinic[clinic_id] = known
        return known & wanted

    def stored(self, changes: Iterable[tuple[str, ConsentChange]]) -> None:
        """(clinic, change) pairs now stored (call after the insert, never before)."""
        for clinic_id, change in changes:
            known = self._by_clinic.get(clinic_id)
            if known is not None:
                known.add(change.patient_id)
