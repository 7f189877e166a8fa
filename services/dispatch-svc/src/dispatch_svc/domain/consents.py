"""Consent as the clinic's own systems report it (`patient.upserted`), checked just before a send.

A patient's consent is the latest upsert by the event's own time, so redelivered and
out-of-order events end the same. An import brings ~100k upserts, nearly all with consent, so
dispatch keeps only restrictions, and the lifting of an earlier restriction; a consenting
upsert of a patient never restricted leaves no record and nothing to read back.

What restricts is a refusal: an explicit no for a channel, do-not-contact or deceased. A
channel left unstated is not one: audience-svc targeted SMS only with an explicit yes, so what
can change after targeting is a no; and counting an unstated SMS consent as a restriction would
keep a record for every patient of an import without an SMS column, read before every send.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from reengage_common.events import Channel, Consents, PatientUpserted


@dataclass(frozen=True)
class ConsentChange:
    """What one `patient.upserted` said about reaching the patient."""

    patient_id: str
    at: datetime  # the event's own time: the latest wins
    event_id: str
    withheld: frozenset[Channel] = frozenset()
    do_not_contact: bool = False
    deceased: bool = False

    @property
    def restricts(self) -> bool:
        return bool(self.withheld) or self.do_not_contact or self.deceased

    def order(self) -> tuple[datetime, bool, str]:
        # At one instant a restriction wins over a lift (never contact by a tie); the event
        # id only makes the order total, so any arrival order folds alike.
        return (self.at, self.restricts, self.event_id)


def withheld_channels(consents: Consents) -> frozenset[Channel]:
    withheld = set()
    if consents.email is False:
        withheld.add(Channel.EMAIL)
    if consents.sms is False:
        withheld.add(Channel.SMS)
    if consents.mail is False:
        withheld.add(Channel.MAIL)
    return frozenset(withheld)


def consent_change(event_id: str, at: datetime, upserted: PatientUpserted) -> ConsentChange:
    return ConsentChange(
        patient_id=upserted.patient_id,
        at=at,
        event_id=event_id,
        withheld=withheld_channels(upserted.consents),
        do_not_contact=upserted.do_not_contact,
        deceased=upserted.deceased,
    )


def changes_to_keep(
    changes: Iterable[ConsentChange], restricted_before: set[str]
) -> list[ConsentChange]:
    """The changes worth storing: every restriction, and a lift of a patient restricted before
    (`restricted_before`: patients with a stored record) or in the same batch."""
    changes = list(changes)
    restricted = restricted_before | {c.patient_id for c in changes if c.restricts}
    return [c for c in changes if c.restricts or c.patient_id in restricted]


def patients_lifting(changes: Iterable[ConsentChange]) -> set[str]:
    """Patients whose upserts restrict nothing: whether any was restricted before decides
    whether their lifts are kept (the one read of a batch)."""
    return {c.patient_id for c in changes if not c.restricts}


@dataclass
class ConsentRestrictions:
    """The latest consent change of each restricted (or once restricted) patient of a clinic."""

    latest: dict[str, ConsentChange] = field(default_factory=dict)

    @classmethod
    def of(cls, changes: Iterable[ConsentChange]) -> "ConsentRestrictions":
        index = cls()
        for change in changes:
            known = index.latest.get(change.patient_id)
            if known is None or change.order() > known.order():
                index.latest[change.patient_id] = change
        return index

    def skip_reason(self, patient_id: str, channel: Channel) -> str | None:
        """Why the clinic's systems forbid this message now, or None."""
        change = self.latest.get(patient_id)
        if change is None:
            return None
        if change.deceased:
            return "deceased"
        if change.do_not_contact:
            return "do not contact"
        if channel in change.withheld:
            return f"consent withdrawn: {channel.value.lower()}"
        return None
