"""One batch function per topic dispatch-svc consumes. Each stores its events' effects in bulk
and idempotently (unique keys) through the store it is given; the sender does the rest from
what they stored.

`message.due`, `recipient.responded` and `patient.upserted` are keyed by patient, the campaign
topics by campaign, so the consumer owning a key's partition is that key's only writer; all
writes are inserts. A `message.due` partition is also a shard of the sending: each message is
stored with its partition, and the replica that consumes a partition sends its messages.
"""

from collections.abc import Callable
from typing import Any

from dispatch_svc.consent_store import PatientsWithChanges
from dispatch_svc.domain.campaigns import SEQUENCE_STOPPERS
from dispatch_svc.domain.consents import (
    ConsentChange,
    changes_to_keep,
    consent_change,
    patients_lifting,
)
from dispatch_svc.domain.messages import QueuedMessage, batch_of, queued_message
from dispatch_svc.store import DispatchStore
from reengage_common.bus import BatchHandler, batch, batch_of_partition
from reengage_common.clock import Clock, utc_now
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
# Hands just-stored messages to this process's sender; False when it cannot take them yet.
HandOver = Callable[[list[QueuedMessage]], bool]


def make_handlers(
    store: DispatchStore,
    *,
    nudge: Nudge = lambda: None,
    responses_changed: Nudge = lambda: None,
    clock: Clock = utc_now,
    hand_over: HandOver = lambda _: False,
    with_changes: PatientsWithChanges | None = None,
) -> dict[type[Event], BatchHandler]:
    """The consumer's handlers; `nudge` wakes this process's sender, `responses_changed`
    drops its cached responses and consents, `hand_over` gives stored messages to it when it
    is sending; `with_changes` is what the consumer knows of stored consent changes (its
    `forget` belongs on the consumer's partition assignments)."""
    known_changes = with_changes or PatientsWithChanges(store)

    async def on_messages_due(partition: int, envelopes: list[Envelope[MessageDue]]) -> None:
        batch_id = batch_of(envelope.data.message_id for envelope in envelopes)
        messages = [queued_message(envelope, batch_id, partition) for envelope in envelopes]
        await store.store_messages(messages)
        # Stored first: a replica that takes the shard over later reads them like everything
        # else. Until this process's sender takes them (its campaign unknown yet, or the shard
        # taken away meanwhile), the shard's owner learns of them from the announcement.
        if not hand_over(messages):
            await store.announce_batch(messages, batch_id, clock())
            nudge()

    async def on_campaigns_launched(envelopes: list[Envelope[CampaignLaunched]]) -> None:
        await store.store_launches(envelopes, clock())
        nudge()

    async def on_campaign_status_changed(envelopes: list[Envelope[CampaignStatusChanged]]) -> None:
        await store.store_status_changes(envelopes, clock())
        nudge()

    async def on_recipients_responded(envelopes: list[Envelope[RecipientResponded]]) -> None:
        # A click stops nothing (SEQUENCE_STOPPERS): it is not kept, so the responses read
        # before each send do not grow with every link opened.
        stoppers = [e for e in envelopes if e.data.kind in SEQUENCE_STOPPERS]
        if stoppers:
            await store.store_responses(stoppers, clock())
            responses_changed()

    async def on_patients_upserted(envelopes: list[Envelope[PatientUpserted]]) -> None:
        kept: list[tuple[str, ConsentChange]] = []
        for clinic_id, upserts in _by_clinic(envelopes).items():
            changes = [consent_change(e.id, e.time, e.data) for e in upserts]
            restricted_before = await known_changes.among(clinic_id, patients_lifting(changes))
            kept += [(clinic_id, c) for c in changes_to_keep(changes, restricted_before)]
        if kept:
            await store.store_consent_changes(kept, clock())
            known_changes.stored(kept)
            responses_changed()

    return {
        MessageDue: batch_of_partition(on_messages_due),
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
