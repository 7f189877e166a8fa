"""dispatch-svc's internal JSON API: where a campaign's messages stand, for the caller's clinic.

GET /campaigns/{campaign_id}/messages[?state=SENT][&limit=100][&after=<next>]
    {"campaignId", "counts": {"QUEUED": n, "SENDING": n, "SENT": n, "FAILED": n,
     "SKIPPED": n}, "messages": [{"messageId", "patientId", "sequence", "channel",
     "variant", "dueAt", "state", "reason", "attempts"}], "next": "<cursor>" | null}

A page holds at most `limit` messages (100 by default, at most 500), in messageId order;
`next` (the last one's id) asks for the following page. `counts` are the whole campaign's.
"""

from collections import Counter
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dispatch_svc.domain.message_states import MessageState, fold_message_states
from dispatch_svc.store import DispatchStore
from reengage_common.auth import VIEW_ANALYTICS, Identity
from reengage_common.internal_api import internal
from reengage_common.web import error_response

STATES = ("QUEUED", "SENDING", "SENT", "FAILED", "SKIPPED")
# A campaign of 100,000 patients is as many messages a step: an answer holds one page.
DEFAULT_PAGE = 100
MAX_PAGE = 500


async def campaign_messages(request: Request, identity: Identity) -> Response:
    wanted = request.query_params.get("state")
    if wanted is not None and wanted not in STATES:
        return error_response(
            422, "VALIDATION", f"state: one of {', '.join(STATES)}", fields=[{"field": "state"}]
        )
    limit = _limit(request.query_params.get("limit"))
    if limit is None:
        return error_response(
            422,
            "VALIDATION",
            f"limit: a whole number from 1 to {MAX_PAGE}",
            fields=[{"field": "limit"}],
        )
    campaign_id = request.path_params["campaign_id"]
    messages = await message_states(request.state.store, identity.clinic_id, campaign_id)
    counts = Counter(message["state"] for message in messages)
    listed, following = page_of(
        [m for m in messages if wanted is None or m["state"] == wanted],
        request.query_params.get("after"),
        limit,
    )
    return JSONResponse(
        {
            "campaignId": campaign_id,
            "counts": {state: counts.get(state, 0) for state in STATES},
            "messages": listed,
            "next": following,
        }
    )


async def message_states(
    store: DispatchStore, clinic_id: str, campaign_id: str
) -> list[dict[str, Any]]:
    """Each message of a clinic's campaign with its state folded from the records."""
    messages, outcomes, claims = (
        await store.messages_of_campaign(campaign_id, clinic_id),
        await store.outcomes_of_campaign(campaign_id),
        await store.claims_of_campaign(campaign_id),
    )
    return [_message_json(state) for state in fold_message_states(messages, outcomes, claims)]


def _message_json(state: MessageState) -> dict[str, Any]:
    message = state.message
    return {
        "messageId": message.message_id,
        "patientId": message.patient_id,
        "sequence": message.sequence,
        "channel": message.channel.value,
        "variant": message.variant,
        "dueAt": message.due_at.isoformat(),
        "state": state.state,
        "reason": state.reason,
        "attempts": state.attempts,
    }


def _limit(given: str | None) -> int | None:
    """The page size asked for (DEFAULT_PAGE if none); None if it is no size we serve."""
    if given is None:
        return DEFAULT_PAGE
    if not given.isdigit() or not 1 <= int(given) <= MAX_PAGE:
        return None
    return int(given)


def page_of(
    messages: list[dict[str, Any]], after: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """The `limit` messages after the id `after` in id order, and the cursor of the next page
    (None on the last). Ids are unique and stable, so no message is listed twice; one added
    while a caller pages (ids are not in time order) may fall before its cursor."""
    ordered = sorted(messages, key=lambda message: message["messageId"])
    if after:
        ordered = [m for m in ordered if m["messageId"] > after]
    page = ordered[:limit]
    return page, page[-1]["messageId"] if len(ordered) > limit else None


routes = [
    Route(
        "/campaigns/{campaign_id}/messages",
        internal(campaign_messages, requires=VIEW_ANALYTICS),
        methods=["GET"],
    )
]
