"""The AsyncAPI document for outside consumers stays what the event models generate."""

import json
from pathlib import Path

from reengage_common.asyncapi import CONSUMERS, PRODUCERS, asyncapi_document
from reengage_common.events import TOPICS

COMMITTED = Path(__file__).resolve().parents[3] / "docs" / "asyncapi.json"


def test_the_committed_document_is_the_generated_one() -> None:
    # after changing an event: .venv/bin/python -m reengage_common.asyncapi > docs/asyncapi.json
    assert json.loads(COMMITTED.read_text()) == json.loads(json.dumps(asyncapi_document()))


def test_every_topic_is_a_channel_with_its_key_and_envelope() -> None:
    document = asyncapi_document()

    assert set(document["channels"]) == set(TOPICS) == set(PRODUCERS) == set(CONSUMERS)
    due = document["components"]["messages"]["MessageDue"]
    assert due["bindings"]["kafka"]["key"]["description"] == "data.patientId"
    envelope = document["components"]["schemas"][due["payload"]["$ref"].rpartition("/")[2]]
    assert {"id", "type", "version", "source", "time", "clinicId", "data"} <= set(
        envelope["properties"]
    )
