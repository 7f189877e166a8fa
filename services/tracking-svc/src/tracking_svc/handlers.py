"""One function per event of tracking-svc, and the responses public endpoints report.
(Over 300 lines: the handlers of every topic the service consumes, in one class that shares
their publisher, clock and caches.)

Every consumer handler takes a partition's batch and stores its facts with one bulk insert
(`TrackingStore.store_facts`), so a redelivered batch inserts nothing new. Responses are published as
`recipient.responded` straight away with a deterministic envelope id (see `response_envelope`)
and stored by this service's own consumer of that topic, the one writer of the patient's key.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog

from reengage_common.bus import EventPublisher
from reengage_common.clock import Clock
from reengage_common.events import (
    AppointmentStatus,
    AppointmentUpdated,
    CampaignLaunched,
    Channel,
    Envelope,
    MessageDue,
    MessageSent,
    RecipientHeldOut,
    RecipientResponded,
    ResponseKind,
    SendOutcome,
)
from reengage_common.logging import current_trace_id
from tracking_svc.config import TrackingSettings
from tracking_svc.domain import facts as f
from tracking_svc.domain.attribution import Contact, attribute
from tracking_svc.domain.facts import Fact, iso
from tracking_svc.domain.intake import all_facts_of, response_fact
from tracking_svc.domain.replies import provider_message_key
from tracking_svc.store import TrackingStore
from tracking_svc.store.records import contact_document

log = structlog.get_logger(__name__)
# Appointment changes attribution cares about; COMPLETED and NO_SHOW visits concern no campaign.
_ATTRIBUTED_STATUSES = frozenset({AppointmentStatus.BOOKED, AppointmentStatus.CANCELLED})
RESPONSE_NAMESPACE = uuid.UUID("0c7f3f0e-8a5e-4a55-b1a8-7d1f6a4e2b90")


def response_envelope(
    kind: ResponseKind,
    *,
    clinic_id: str,
    campaign_id: str,
    patient_id: str,
    at: datetime,
    dedupe: str,
    channel: Channel | None = None,
    appointment_id: str | None = None,
    revenue_cents: int = 0,
    source: str = "tracking-svc",
    message: dict[str, Any] | None = None,
) -> Envelope[RecipientResponded]:
    """A response whose envelope id depends only on `dedupe`: a retried webhook or a replayed
    booking publishes the same id again, and every consumer drops the repeat. That is why a
    response needs no outbox: nothing is stored before it is published, and its store is the
    consumer of the very topic it goes to. `message`: the `sent:` record of the message a
    bounce is about, named on the event for its channel fallback (issue 22 #8)."""
    about = message or {}
    event = RecipientResponded(
        campaign_id=campaign_id,
        patient_id=patient_id,
        kind=kind,
        channel=channel,
        appointment_id=appointment_id,
        revenue_cents=revenue_cents,
        at=at,
        message_id=about.get("message_id"),
        sequence=about.get("sequence"),
        variant=about.get("variant"),
        fallback_for=about.get("fallback_for"),
    )
    return Envelope[RecipientResponded](
        id=str(uuid.uuid5(RESPONSE_NAMESPACE, dedupe)),
        type=event.topic,
        version=event.version,
        source=source,
        time=at,
        clinic_id=clinic_id,
        trace_id=current_trace_id(),
        data=event,
    )


def _contacts_of(envelope: Envelope[Any]) -> list[dict[str, Any]]:
    """What later lookups by patient, phone or provider id need from an event."""
    event, clinic = envelope.data, envelope.clinic_id
    if isinstance(event, MessageDue) and event.channel is Channel.SMS and event.contact.phone:
        return [
            contact_document(
                f"sms:{event.message_id}",
                phone=event.contact.phone,
                kind="sms",
                clinic_id=clinic,
                campaign_id=event.campaign_id,
                patient=event.patient_id,
                message_id=event.message_id,
                at=iso(event.due_at),
                # whom a STOP or YES from the number speaks for (a household message's members)
                **(
                    {"household": [m.patient_id for m in event.household]}
                    if event.household
                    else {}
                ),
                # the language STOP and HELP are answered in
                **({"language": event.contact.language} if event.contact.language else {}),
            )
        ]
    if isinstance(event, MessageSent) and event.outcome is SendOutcome.SENT:
        pmid = event.provider_message_id
        extra = {"pmid": provider_message_key(pmid)} if pmid else {}
        return [
            contact_document(
                f"sent:{event.message_id}",
                patient_id=event.patient_id,
                **extra,
                kind="sent",
                clinic_id=clinic,
                campaign_id=event.campaign_id,
                message_id=event.message_id,
                sequence=event.sequence,
                channel=event.channel.value,
                variant=event.variant,
                at=iso(event.at),
                **({"household": event.household} if event.household else {}),
                **({"fallback_for": event.fallback_for} if event.fallback_for else {}),
            )
        ]
    if isinstance(event, RecipientHeldOut):
        return [
            contact_document(
                f"held:{event.campaign_id}:{event.patient_id}",
                patient_id=event.patient_id,
                kind="held",
                clinic_id=clinic,
                campaign_id=event.campaign_id,
                at=iso(event.at),
            )
        ]
    return []


@dataclass
class TrackingHandlers:
    settings: TrackingSettings
    store: TrackingStore
    publisher: EventPublisher
    clock: Clock
    # Clinics known to have contacts: once true it stays true (contacts are never deleted),
    # so each is asked once per process, not once per batch of an import's appointments.
    contacted_clinics: set[str] = field(default_factory=set)

    # --- consumers ------------------------------------------------------------------------

    async def on_facts(self, envelopes: list[Envelope[Any]]) -> None:
        """message.due, recipient.held_out, audience.evaluated, recipient.responded."""
        by_clinic: dict[str, list[tuple[str, Fact]]] = defaultdict(list)
        contacts: list[dict[str, Any]] = []
        for envelope in envelopes:
            event = envelope.data
            if (
                isinstance(event, RecipientResponded)
                and event.kind is ResponseKind.REBOOKED
                and envelope.source == self.settings.service
            ):
                continue  # stored, with its incentive code, when it was attributed
            by_clinic[envelope.clinic_id].extend(all_facts_of(envelope))
            contacts.extend(_contacts_of(envelope))
        await self.store.store_contacts(contacts)
        await self._mark_contacted({contact["clinic_id"] for contact in contacts})
        await self.store.store_facts(by_clinic)

    async def _mark_contacted(self, clinics: set[str]) -> None:
        """Each clinic once per process: its bookings look for contacts from then on."""
        if fresh := clinics - self.contacted_clinics:
            await self.store.mark_contacted(fresh)
            self.contacted_clinics |= fresh

    async def on_message_sent(self, envelopes: list[Envelope[Any]]) -> None:
        await self.on_facts(envelopes)
        pmids = [
            provider_message_key(e.data.provider_message_id)
            for e in envelopes
            if e.data.provider_message_id
        ]
        for callback in await self.store.unmatched_for(pmids):
            await self.delivery_reported(
                callback["pmid"], callback["outcome"], datetime.fromisoformat(callback["at"])
            )

    async def on_campaign_launched(self, envelopes: list[Envelope[CampaignLaunched]]) -> None:
        await self.store.store_launches(
            [(envelope.clinic_id, envelope.data) for envelope in envelopes]
        )

    async def on_appointment_updated(self, envelopes: list[Envelope[AppointmentUpdated]]) -> None:
        """Bookings and cancellations that may concern a campaign. A clinic whose messages
        never went out has nothing to attribute: one query per clinic and batch answers that,
        so importing a clinic's history costs no lookup per appointment. The rest read their
        patients' contacts in one query per clinic and batch."""
        relevant = [e for e in envelopes if e.data.status in _ATTRIBUTED_STATUSES]
        clinics = {envelope.clinic_id for envelope in relevant}
        for clinic in clinics - self.contacted_clinics:
            if await self.store.clinic_has_contacts(clinic):
                self.contacted_clinics.add(clinic)
        contacts: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for clinic in clinics & self.contacted_clinics:
            patients = {e.data.patient_id for e in relevant if e.clinic_id == clinic}
            for patient_id, found in (
                await self.store.contacts_of_patients(clinic, patients)
            ).items():
                contacts[(clinic, patient_id)] = found
        for envelope in relevant:
            ours = contacts.get((envelope.clinic_id, envelope.data.patient_id))
            if ours is None:  # a clinic none of whose messages went out yet
                continue
            if envelope.data.status is AppointmentStatus.BOOKED:
                mark = await self._booked(envelope, ours)
                if mark is not None:  # a later cancellation in this batch must find it
                    ours.append(mark)
            else:
                await self._cancelled(envelope, ours)

    async def _booked(
        self, envelope: Envelope[AppointmentUpdated], ours: list[dict[str, Any]]
    ) -> dict[str, Any] | None:
        """Attribute the booking to a campaign that contacted the patient; its booking mark."""
        appointment, clinic = envelope.data, envelope.clinic_id
        contacts = [
            Contact(c["campaign_id"], clinic, datetime.fromisoformat(c["at"]), c["kind"] == "held")
            for c in ours
            if c["kind"] in ("sent", "held")
        ]
        window = timedelta(days=self.settings.attribution_days)
        chosen = attribute(contacts, envelope.time, window)
        if chosen is None:
            return None
        mark_fields: dict[str, Any] = {
            "patient_id": appointment.patient_id,
            "kind": "booking",
            "clinic_id": clinic,
            "campaign_id": chosen.campaign_id,
            "appointment_id": appointment.appointment_id,
            "at": iso(envelope.time),
        }
        # Appointment ids are the clinic's own: another clinic may use the same one.
        mark = contact_document(f"booking:{clinic}:{appointment.appointment_id}", **mark_fields)
        if chosen.holdout:
            fact = Fact(
                f.HOLDOUT_BOOKED,
                f"hob:{appointment.appointment_id}",
                appointment.patient_id,
                iso(envelope.time),
                {"a": appointment.appointment_id, "rev": appointment.value_cents},
            )
            await self.store.store_contacts([mark])
            await self.store.store_facts({clinic: [(chosen.campaign_id, fact)]})
            return mark_fields
        response = response_envelope(
            ResponseKind.REBOOKED,
            clinic_id=clinic,
            campaign_id=chosen.campaign_id,
            patient_id=appointment.patient_id,
            at=envelope.time,
            dedupe=f"rebooked:{clinic}:{appointment.appointment_id}",
            appointment_id=appointment.appointment_id,
            revenue_cents=appointment.value_cents,
        )
        fact = response_fact(response.data, incentive_code=appointment.incentive_code)
        await self.store.store_contacts([mark])
        await self.store.store_facts({clinic: [(chosen.campaign_id, fact)]})
        # Published after the fact is stored; a crash in between re-derives the same envelope.
        await self.publisher.publish(response)
        log.info(
            "recipient.rebooked",
            campaign_id=chosen.campaign_id,
            patient_id=appointment.patient_id,
            appointment_id=appointment.appointment_id,
        )
        return mark_fields

    async def _cancelled(
        self, envelope: Envelope[AppointmentUpdated], ours: list[dict[str, Any]]
    ) -> None:
        appointment = envelope.data
        for contact in ours:
            if contact["kind"] != "booking":
                continue
            if contact["appointment_id"] != appointment.appointment_id:
                continue
            fact = Fact(
                f.CANCELLED,
                f"cxl:{appointment.appointment_id}",
                appointment.patient_id,
                iso(envelope.time),
                {"a": appointment.appointment_id},
            )
            await self.store.store_facts({envelope.clinic_id: [(contact["campaign_id"], fact)]})

    # --- reported by providers --------------------------------------------------------------

    async def delivery_reported(self, pmid: str, outcome: str, at: datetime) -> bool:
        """delivered / bounced / complained for a provider's message id, for each patient the
        message was sent for (a household's members share it); False if unknown yet."""
        messages = await self.store.messages_by_provider_id(pmid)
        for message in messages:
            await self._delivery_of(message, outcome, at)
        return bool(messages)

    async def _delivery_of(self, message: dict[str, Any], outcome: str, at: datetime) -> None:
        clinic, campaign = message["clinic_id"], message["campaign_id"]
        patient, message_id = message["patient_id"], message["message_id"]
        if outcome == "delivered":
            data = {"m": message_id, "s": message["sequence"], "ch": message["channel"]}
            data["v"] = message["variant"]
            fact = Fact(f.DELIVERED, f"dlv:{message_id}", patient, iso(at), data)
            await self.store.store_facts({clinic: [(campaign, fact)]})
            return
        kind = ResponseKind.UNSUBSCRIBED if outcome == "complained" else ResponseKind.BOUNCED
        await self.publisher.publish(
            response_envelope(
                kind,
                clinic_id=clinic,
                campaign_id=campaign,
                patient_id=patient,
                at=at,
                dedupe=f"{kind.value}:{message_id}",
                channel=Channel(message["channel"]),
                message=message if kind is ResponseKind.BOUNCED else None,
            )
        )
