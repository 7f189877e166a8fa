"""The AsyncAPI 3.0 document of the topics, generated from the event models for outside consumers.

    .venv/bin/python -m reengage_common.asyncapi > docs/asyncapi.json

Each topic is a channel whose message is the envelope around that topic's model, keyed by the
model's key field; a test keeps the committed file equal to what the models generate.
"""

import json
import sys
from typing import Any

from pydantic.json_schema import models_json_schema

from reengage_common.events import EVENT_TYPES, Envelope, Event
from reengage_common.logging import TRACE_HEADER

REF = "#/components/schemas/{model}"
CLINIC_SYSTEMS = "clinic systems"
# Who writes each topic, and who reads it (documentation for integrators; the models are the
# contract). The two inbound topics are the integration API other clinic systems write to.
PRODUCERS: dict[str, tuple[str, ...]] = {
    "campaign.launched": ("campaign-svc",),
    "campaign.status_changed": ("campaign-svc",),
    "message.due": ("audience-svc", "dispatch-svc (a sequence's next step)"),
    "recipient.held_out": ("audience-svc",),
    "audience.evaluated": ("audience-svc",),
    "message.sent": ("dispatch-svc",),
    "recipient.responded": ("tracking-svc",),
    "message.received": ("tracking-svc",),
    "patient.upserted": (CLINIC_SYSTEMS,),
    "appointment.updated": (CLINIC_SYSTEMS,),
}
CONSUMERS: dict[str, tuple[str, ...]] = {
    "campaign.launched": ("audience-svc", "dispatch-svc", "tracking-svc"),
    "campaign.status_changed": ("audience-svc", "dispatch-svc"),
    "message.due": ("dispatch-svc", "tracking-svc"),
    "recipient.held_out": ("tracking-svc",),
    "audience.evaluated": ("tracking-svc",),
    "message.sent": ("audience-svc", "tracking-svc"),
    "recipient.responded": ("audience-svc", "dispatch-svc", "tracking-svc"),
    "message.received": ("dispatch-svc (the front-desk inbox)",),
    "patient.upserted": ("audience-svc", "dispatch-svc"),
    "appointment.updated": ("audience-svc", "tracking-svc"),
}
HEADERS = {
    "type": "object",
    "properties": {
        "type": {"type": "string", "description": "The envelope's `type` (the topic's name)"},
        TRACE_HEADER: {"type": "string", "description": "The trace id, when there is one"},
    },
}


def _message_name(model: type[Event]) -> str:
    return model.__name__


def _envelope(model: type[Event]) -> type[Envelope[Any]]:
    return Envelope[model]  # type: ignore[valid-type]


def _message(topic: str, model: type[Event], payload: dict[str, Any]) -> dict[str, Any]:
    key = model.model_fields[model.key_field]
    key_name = key.alias or model.key_field
    return {
        "name": topic,
        "title": _message_name(model),
        "summary": (model.__doc__ or topic).strip().splitlines()[0],
        "contentType": "application/json",
        "headers": HEADERS,
        "payload": payload,
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": f"data.{key_name}"},
                "bindingVersion": "0.5.0",
            }
        },
        "x-version": model.version,
    }


def asyncapi_document() -> dict[str, Any]:
    envelopes = {topic: _envelope(model) for topic, model in EVENT_TYPES.items()}
    refs, schemas = models_json_schema(
        [(envelope, "serialization") for envelope in envelopes.values()], ref_template=REF
    )
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for topic, model in EVENT_TYPES.items():
        name = _message_name(model)
        messages[name] = _message(topic, model, refs[(envelopes[topic], "serialization")])
        channels[topic] = {
            "address": topic,
            "description": (
                f"Written by {', '.join(PRODUCERS[topic])}; read by {', '.join(CONSUMERS[topic])}."
                " Deployments may prefix the name (`KAFKA_TOPIC_PREFIX`)."
            ),
            "messages": {name: {"$ref": f"#/components/messages/{name}"}},
        }
        operations[f"receive {topic}"] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{topic}"},
            "messages": [{"$ref": f"#/channels/{topic}/messages/{name}"}],
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Re-engagement campaigns: events",
            "version": "1.0.0",
            "description": (
                "Every event travels in one JSON envelope; `data` is the topic's model. A change"
                " to an event is additive, or a new `version`. Unknown fields are ignored."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "kafka": {
                "host": "127.0.0.1:9092",
                "protocol": "kafka",
                "description": "The local broker of `./dev up`",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas.get("$defs", {})},
    }


def main() -> None:
    json.dump(asyncapi_document(), sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
