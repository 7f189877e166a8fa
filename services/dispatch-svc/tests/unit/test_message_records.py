"""A consumer batch's messages are stored as one record per campaign and read back as they came."""

from kit import due, utc

from dispatch_svc.domain.messages import QueuedMessage, batch_of, queued_message
from dispatch_svc.store.codecs import message_batch_records, messages_of
from reengage_common.events import Envelope, MessageDue

NOW = utc(2026, 11, 26, 16, 0)


def _queued(*dues: MessageDue) -> list[QueuedMessage]:
    envelopes = [Envelope.wrap(d, source="t", clinic_id="clinic-a") for d in dues]
    batch_id = batch_of(e.data.message_id for e in envelopes)
    return [queued_message(e, batch_id, shard=3) for e in envelopes]


def test_a_batch_is_one_record_per_campaign_and_reads_back_whole() -> None:
    messages = _queued(
        due("c-1", "p-1", at=NOW), due("c-1", "p-2", at=NOW), due("c-2", "p-3", at=NOW)
    )

    records = message_batch_records(messages)

    assert sorted(r["campaign_id"] for r in records) == ["c-1", "c-2"]
    assert sorted(messages_of(records), key=lambda m: m.message_id) == sorted(
        messages, key=lambda m: m.message_id
    )


def test_the_same_batch_delivered_again_has_the_same_id_and_a_message_in_two_reads_once() -> None:
    first = _queued(due("c-1", "p-1", at=NOW), due("c-1", "p-2", at=NOW))
    again = _queued(due("c-1", "p-2", at=NOW), due("c-1", "p-1", at=NOW))
    regrouped = _queued(due("c-1", "p-2", at=NOW), due("c-1", "p-3", at=NOW))

    assert [r["_id"] for r in message_batch_records(first)] == [
        r["_id"] for r in message_batch_records(again)
    ]
    read = messages_of(message_batch_records(first) + message_batch_records(regrouped))
    assert sorted(m.patient_id for m in read) == ["p-1", "p-2", "p-3"]
