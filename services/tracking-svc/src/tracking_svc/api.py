"""tracking-svc's internal JSON API for the gateway: parse, call a read, answer.

The gateway forwards the caller's token; it is verified here and its clinic scopes every read,
so another clinic's campaign answers exactly like one without any activity.
"""

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reengage_common.auth import VIEW_ANALYTICS, Identity
from reengage_common.error_codes import TrackingErrorCode
from reengage_common.internal_api import Answer, Endpoint, internal
from reengage_common.recent import RecentAnswers
from reengage_common.web import error_response
from tracking_svc.reads import (
    BadInput,
    check_status,
    recipients_page,
    stats_of,
    stats_of_campaigns,
)
from tracking_svc.snapshots import Snapshots

MAX_PAGE = 100
MAX_BATCH = 100


def _bad_input(exc: BadInput) -> Response:
    fields = [{"field": exc.field, "message": exc.message, "code": exc.code}]
    return error_response(422, "VALIDATION", str(exc), fields=fields)


def reading(endpoint: Endpoint) -> Answer:
    return internal(endpoint, requires=VIEW_ANALYTICS, errors={BadInput: _bad_input})


def _snapshots(request: Request) -> Snapshots:
    return request.state.snapshots


def _recent(request: Request) -> RecentAnswers:
    """Stats are every unfolded fact page folded in: while a campaign sends, pages and
    campaigns pages ask for the same ones many times a second (see reengage_common.recent)."""
    return request.state.recent


async def campaign_stats(request: Request, identity: Identity) -> Response:
    clinic_id, campaign_id = identity.clinic_id, request.path_params["id"]
    snapshots = _snapshots(request)
    answer = await _recent(request).answer(
        ("stats", clinic_id, campaign_id), lambda: stats_of(clinic_id, campaign_id, snapshots)
    )
    return JSONResponse(answer)


async def stats_batch(request: Request, identity: Identity) -> Response:
    try:
        body: Any = await request.json()
    except ValueError as exc:
        raise BadInput("body", "not JSON", TrackingErrorCode.NOT_JSON) from exc
    ids = body.get("campaignIds") if isinstance(body, dict) else None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise BadInput(
            "campaignIds", "expected a list of campaign ids", TrackingErrorCode.INVALID_TYPE
        )
    if len(ids) > MAX_BATCH:
        raise BadInput(
            "campaignIds", f"at most {MAX_BATCH} at once", TrackingErrorCode.OUT_OF_RANGE
        )
    # The gateway's live figures, told by an event that they changed, ask for no older answer.
    max_age = body.get("maxAgeSeconds")
    if max_age is not None and (
        isinstance(max_age, bool) or not isinstance(max_age, int | float) or max_age < 0
    ):
        raise BadInput(
            "maxAgeSeconds", "expected a number of seconds >= 0", TrackingErrorCode.INVALID_TYPE
        )
    unique = list(dict.fromkeys(ids))
    clinic_id, snapshots = identity.clinic_id, _snapshots(request)

    async def items() -> dict[str, Any]:
        return {"items": await stats_of_campaigns(clinic_id, unique, snapshots)}

    key = ("batch", clinic_id, tuple(unique))
    return JSONResponse(await _recent(request).answer(key, items, max_age=max_age))


def page_size(raw: str | None) -> int:
    if raw is None or raw == "":
        return 20
    message = f"must be a whole number from 1 to {MAX_PAGE}"
    if not raw.isdigit():
        raise BadInput("first", message, TrackingErrorCode.INVALID_TYPE)
    if not 1 <= int(raw) <= MAX_PAGE:
        raise BadInput("first", message, TrackingErrorCode.OUT_OF_RANGE)
    return int(raw)


async def campaign_recipients(request: Request, identity: Identity) -> Response:
    params = request.query_params
    status = check_status(params.get("status"))
    campaign_id = request.path_params["id"]
    page = await recipients_page(
        identity.clinic_id,
        campaign_id,
        _snapshots(request),
        status=status,
        first=page_size(params.get("first")),
        after=params.get("after") or None,
    )
    answer: dict[str, Any] = {
        "items": page.items,
        "pageInfo": {"hasNextPage": page.has_next, "endCursor": page.end_cursor},
    }
    if params.get("withTotal") in ("1", "true"):
        # The total is the stats query's status counts: a snapshot's tally, cheap.
        counts = (await stats_of(identity.clinic_id, campaign_id, _snapshots(request)))[
            "statusCounts"
        ]
        answer["totalCount"] = counts[status] if status else sum(counts.values())
    return JSONResponse(answer)


routes = [
    Route("/campaigns/{id}/stats", reading(campaign_stats), methods=["GET"]),
    Route("/stats/batch", reading(stats_batch), methods=["POST"]),
    Route("/campaigns/{id}/recipients", reading(campaign_recipients), methods=["GET"]),
]
