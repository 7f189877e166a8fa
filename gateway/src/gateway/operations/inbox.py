"""The front desk's inbox: dispatch-svc keeps the conversations and sends staff replies."""

from typing import Any

from gateway.operations.access import MANAGE, READ, Caller, requires
from gateway.operations.errors import NotFound
from gateway.operations.service_calls import JSONDocument, call_service, segment

SERVICE = "dispatch-svc"


def conversation_path(patient_id: str, action: str | None = None) -> str:
    if not patient_id or "/" in patient_id or not patient_id.isprintable():
        raise NotFound(f"no conversation with patient {patient_id!r} in your clinic")
    path = f"/inbox/{segment(patient_id)}"
    return f"{path}/{action}" if action else path


@requires(READ)
async def list_conversations(caller: Caller) -> list[JSONDocument]:
    return list((await call_service(caller, SERVICE, "GET", "/inbox")).get("items") or [])


@requires(READ)
async def get_conversation(caller: Caller, patient_id: str) -> JSONDocument:
    return await call_service(caller, SERVICE, "GET", conversation_path(patient_id))


@requires(MANAGE)
async def mark_read(caller: Caller, patient_id: str) -> JSONDocument:
    return await call_service(caller, SERVICE, "POST", conversation_path(patient_id, "read"))


@requires(MANAGE)
async def assign(caller: Caller, patient_id: str, assignee: str | None) -> JSONDocument:
    path = conversation_path(patient_id, "assignee")
    return await call_service(caller, SERVICE, "PUT", path, json={"assignee": assignee})


@requires(MANAGE)
async def reply(caller: Caller, patient_id: str, text: Any, reply_id: str | None) -> JSONDocument:
    """Sent through the clinic's SMS number; NotAllowed when the patient opted out or it is
    outside the sending hours on their clock; Invalid names `text`."""
    body: dict[str, Any] = {"text": text}
    if reply_id:
        body["replyId"] = reply_id
    path = conversation_path(patient_id, "replies")
    return await call_service(caller, SERVICE, "POST", path, json=body)
