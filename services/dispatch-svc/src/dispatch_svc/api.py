"""dispatch-svc's internal JSON API: where a campaign's messages stand, for the caller's clinic.

GET /campaigns/{campaign_id}/messages[?state=SENT]
    {"campaignId", "counts": {"QUEUED": n, "SENDING": n, "SENT": n, "FAILED": n,
     "SKIPPED": n}, "messages": [{"messageId", "patientId", "sequence", "channel",
     "variant", "dueAt", "state", "reason", "attempts"}]}
"""

from collections import Counter

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dispatch_svc import store
from reengage_common.auth import VIEW_ANALYTICS, AuthError, PermissionDenied
from reengage_common.web import error_response, identity_of, unauthenticated

STATES = ("QUEUED", "SENDING", "SENT", "FAILED", "SKIPPED")


async def campaign_messages(request: Request) -> Response:
    try:
        identity = identity_of(request)
        identity.require(VIEW_ANALYTICS)
    except AuthError as exc:
        return unauthenticated(exc)
    except PermissionDenied as exc:
        return error_response(403, "FORBIDDEN", str(exc))
    wanted = request.query_params.get("state")
    if wanted is not None and wanted not in STATES:
        return error_response(
            422, "VALIDATION", f"state: one of {', '.join(STATES)}", fields=[{"field": "state"}]
        )
    campaign_id = request.path_params["campaign_id"]
    messages = await store.message_states(identity.clinic_id, campaign_id)
    counts = Counter(message["state"] for message in messages)
    listed = [m for m in messages if wanted is None or m["state"] == wanted]
    return JSONResponse(
        {
            "campaignId": campaign_id,
            "counts": {state: counts.get(state, 0) for state in STATES},
            "messages": listed,
        }
    )


routes = [Route("/campaigns/{campaign_id}/messages", campaign_messages, methods=["GET"])]
