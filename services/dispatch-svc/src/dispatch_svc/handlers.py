"""One batch function per topic dispatch-svc consumes. Each stores its events' effects in bulk
and idempotently (unique keys); the sender loop does the rest from what they stored.

`message.due`, `recipient.responded` and `patient.upserted` are keyed by patient, the campaign
topics by campaign, so the consumer owning a key's partition is that key's only writer; all
writes are inserts.
"""

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from dispatch_svc import consent_store, store
from dispatch_svc.domain.campaigns import SEQUENCE_STOPPERS
from dispatch_svc.domain.consents import changes_to_keep, consent_change, patients_lifting
from reengage_common.bus import BatchHandler, batch
from reengage_common.events import (
    CampaignLaunched,
    CampaignStatusChanged,
    Envelope,
    Event,
    MessageDue,
    PatientUpserted,
    RecipientResponded,
)

Nudge = Callable[[], None]
# Hands just-stored messages to this process's sender; False when it is not the one sending.
HandOver = Callable[[list[dict[str, Any]]], bool]


def message_document(envelope: Envelope[MessageDue], batch_id: str) -> dict[str, Any]:
    due = envelope.data
    return {
        "_id": due.message_id,
        "clinic_id": envelope.clinic_id,
        "campaign_id": due.campaign_id,
        "patient_id": due.patient_id,
        "run_number": due.run_number,
        "sequence": due.sequence,
        "channel": due.channel.value,
        "variant": due.variant,
        "due_at": due.due_at,
        "contact": due.contact.model_dump(mode="json", exclude_none=True),
        "merge_data": due.merge_data,
        "incentive_code": due.incentive_code,
        "trace_id": envelope.trace_id,
        "batch_id": batch_id,
    }


def make_handlers(
    nudge: Nudge = lambda: None,
    responses_changed: Nudge = lambda: None,
    clock: Callable[[], datetime] | None = None,
    hand_over: HandOver = lambda _: False,
    with_changes: consent_store.PatientsWithChanges | None = None,
) -> dict[type[Event], BatchHandler]:
    """The consumer's handlers; `nudge` wakes this process's sender, `responses_changed`
    drops its cached responses and consents, `hand_over` gives stored messages to it when it
    is sending; `with_changes` is what the consumer knows of stored consent changes (its
    `forget` belongs on the consumer's partition assignments)."""
    now = clock or (lambda: datetime.now(UTC))
    known_changes = with_changes or consent_store.PatientsWithChanges()

    async def on_messages_due(envelopes: list[Envelope[MessageDue]]) -> None:
        batch_id = uuid.uuid4().hex
        documents = [message_document(envelope, batch_id) for envelope in envelopes]
        duplicates = await store.store_messages(documents)
        # Stored first: a sender that wins the lease later reads them like everything else.
        # Another replica's sender learns of them from the announcement, by reading them back.
        if not hand_over(documents):
            await store.announce_batch(documents, duplicates, batch_id, now())
            nudge()

    async def on_campaigns_launched(envelopes: list[Envelope[CampaignLaunched]]) -> None:
        await store.store_campaign_events([store.launch_record(e) for e in envelopes], now())
        nudge()

    async def on_campaign_status_changed(envelopes: list[Envelope[CampaignStatusChanged]]) -> None:
        records = [
            {
                "_id": f"{e.data.campaign_id}:status:{e.data.at.isoformat()}:{e.data.to.value}",
                "campaign_id": e.data.campaign_id,
                "clinic_id": e.clinic_id,
                "kind": "status",
                "at": e.data.at,
                "to": e.data.to.value,
            }
            for e in envelopes
        ]
        await store.store_campaign_events(records, now())
        nudge()

    async def on_recipients_responded(envelopes: list[Envelope[RecipientResponded]]) -> None:
        # A click stops nothing (SEQUENCE_STOPPERS): it is not kept, so the responses read
        # before each send do not grow with every link opened.
        records = [
            {
                "_id": e.id,
                "clinic_id": e.clinic_id,
                "campaign_id": e.data.campaign_id,
                "patient_id": e.data.patient_id,
                "kind": e.data.kind.value,
                "channel": e.data.channel.value if e.data.channel else None,
                "at": e.data.at,
            }
            for e in envelopes
            if e.data.kind in SEQUENCE_STOPPERS
        ]
        if records:
            await store.store_clinic_changes(store.ResponseRecord, records, now())
            responses_changed()

    async def on_patients_upserted(envelopes: list[Envelope[PatientUpserted]]) -> None:
        records: list[dict[str, Any]] = []
        for clinic_id, upserts in _by_clinic(envelopes).items():
            changes = [consent_change(e.id, e.time, e.data) for e in upserts]
            restricted_before = await known_changes.among(clinic_id, patients_lifting(changes))
            records += [
                consent_store.consent_record(clinic_id, change)
                for change in changes_to_keep(changes, restricted_before)
            ]
        if records:
            await store.store_clinic_changes(store.ConsentChangeRecord, records, now())
            known_changes.stored(records)
            responses_changed()

    return {
        MessageDue: batch(on_messages_due),
        CampaignLaunched: batch(on_campaigns_launched),
        CampaignStatusChanged: batch(on_campaign_status_changed),
        RecipientResponded: batch(on_recipients_responded),
        PatientUpserted: batch(on_patients_upserted),
    }


def _by_clinic(envelopes: list[Envelope[PatientUpserted]]) -> dict[str, list[Envelope[Any]]]:
    clinics: dict[str, list[Envelope[Any]]] = {}
    for envelope in envelopes:
        clinics.setdefault(envelope.clinic_id, []).append(envelope)
    return clinics
