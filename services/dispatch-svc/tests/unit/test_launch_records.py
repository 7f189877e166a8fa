"""A campaign's snapshot is stored as one text field and read back whole."""

from kit import EMAIL_STEP, launched, utc

from dispatch_svc import store
from reengage_common.events import Envelope

NOW = utc(2026, 11, 26, 16, 0)


def test_a_launch_record_holds_the_snapshot_as_text_and_gives_it_back() -> None:
    snapshot = launched("c-text", [EMAIL_STEP], at=NOW)
    record = store.launch_record(Envelope.wrap(snapshot, source="t", clinic_id="clinic-a"))

    assert record["_id"] == "c-text:launched:1"
    assert (record["campaign_id"], record["clinic_id"], record["kind"]) == (
        "c-text",
        "clinic-a",
        "launched",
    )
    assert isinstance(record["data"], str)
    assert store.snapshot_of(record) == snapshot
