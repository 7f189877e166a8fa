"""GET/POST /api/booking/campaigns and the paths of one campaign, over the shared operations.

(Over 300 lines: half of it is the route table, one entry per path and method, which the
OpenAPI document is generated from.)
"""

from typing import Any

from pydantic import ValidationError
from starlette.requests import Request

from gateway.operations import campaigns, tracking
from gateway.operations.access import Caller
from gateway.operations.errors import FieldProblem, Invalid
from gateway.operations.service_calls import JSONDocument
from gateway.rest import schemas
from gateway.rest.endpoints import (
    RestRoute,
    choice_query,
    errors,
    int_query,
    json_body,
    optional_object_body,
    text_query,
)
from reengage_common.error_codes import RequestErrorCode, field_problems
from reengage_common.events import CampaignStatus
from reengage_common.resources.campaigns import CampaignInput
from reengage_common.resources.recipients import RECIPIENT_STATUSES
from reengage_common.resources.stats import CampaignStats

BASE = "/api/booking/campaigns"
ONE = BASE + "/{id}"
# Both services answer pages of 1 to 100 (20 by default).
PAGE_SIZE = {"type": "integer", "minimum": 1, "maximum": 100}
CURSOR = {"type": "string"}
CAMPAIGN_PAGE_QUERY = {
    "status": {"enum": [status.value for status in CampaignStatus]},
    "first": PAGE_SIZE,
    "after": CURSOR,
}
RECIPIENT_PAGE_QUERY = {
    "status": {"enum": list(RECIPIENT_STATUSES)},
    "first": PAGE_SIZE,
    "after": CURSOR,
}
TAG = "campaigns"
# What a 404 and a 409 mean on the paths of one campaign.
ONE_CAMPAIGN = {
    404: "No such campaign in your clinic",
    409: "The campaign's status does not allow this",
    503: "tracking-svc, which keeps the campaign's figures, is down or unreachable",
}
ON_ONE = errors(401, 403, 404, meaning=ONE_CAMPAIGN)
# a change to one campaign: who may, which campaign, its status, the rules
CHANGING = (401, 403, 404, 409, 422)
CHANGE = errors(
    *CHANGING,
    meaning={
        **ONE_CAMPAIGN,
        422: "The definition breaks a rule; `error.fields` names each field with a `code`",
    },
)
LAUNCH = errors(
    *CHANGING,
    meaning={
        **ONE_CAMPAIGN,
        422: "The campaign cannot start: a rule it breaks, what the clinic profile lacks for "
        "its channels (`clinic.*`, PROFILE_INCOMPLETE), a sender the platform has not "
        "verified (`clinic.emailFrom` / `clinic.smsFrom`, SENDER_NOT_VERIFIED) or an "
        "incentive code another live campaign uses (CODE_IN_USE); `error.fields` names each",
    },
)


def _id(request: Request) -> str:
    return str(request.path_params["id"])


async def list_campaigns(request: Request, caller: Caller) -> Any:
    page = await campaigns.list_campaigns(
        caller,
        status=choice_query(request, "status", CAMPAIGN_PAGE_QUERY["status"]["enum"]),
        first=int_query(request, "first"),
        after=text_query(request, "after"),
    )
    return {**page, "items": await tracking.with_campaign_counts(caller, page.get("items", []))}


async def _counted(caller: Caller, campaign: JSONDocument) -> JSONDocument:
    """Every campaign answer has one shape: the resource plus its counters."""
    (counted,) = await tracking.with_campaign_counts(caller, [campaign])
    return counted


async def create_campaign(request: Request, caller: Caller) -> Any:
    return await _counted(caller, await campaigns.create_campaign(caller, await json_body(request)))


async def get_campaign(request: Request, caller: Caller) -> Any:
    return await _counted(caller, await campaigns.get_campaign(caller, _id(request)))


async def update_campaign(request: Request, caller: Caller) -> Any:
    body = await json_body(request)
    _require_whole_definition(body)
    return await _counted(caller, await campaigns.update_campaign(caller, _id(request), body))


def _require_whole_definition(body: Any) -> None:
    """PUT replaces the definition: its required fields are required as on create, nested ones
    too (`targeting.inactiveDays`; campaign-svc would merge a part into the stored definition,
    which is PATCH's meaning, not PUT's). Other complaints are campaign-svc's to make."""
    if not isinstance(body, dict):
        return  # the operation names the body itself
    try:
        CampaignInput.model_validate(body)
        return
    except ValidationError as exc:
        missing = [
            FieldProblem(problem.field, "is required", RequestErrorCode.REQUIRED)
            for problem in field_problems(exc, "campaign")
            if problem.error_type == "missing"
        ]
    if missing:
        raise Invalid(f"{len(missing)} field(s) need attention", missing)


async def delete_campaign(request: Request, caller: Caller) -> Any:
    return await campaigns.delete_campaign(caller, _id(request))


async def launch_campaign(request: Request, caller: Caller) -> Any:
    return await _counted(caller, await campaigns.launch_campaign(caller, _id(request)))


async def pause_campaign(request: Request, caller: Caller) -> Any:
    return await _counted(caller, await campaigns.pause_campaign(caller, _id(request)))


async def resume_campaign(request: Request, caller: Caller) -> Any:
    return await _counted(caller, await campaigns.resume_campaign(caller, _id(request)))


async def cancel_campaign(request: Request, caller: Caller) -> Any:
    return await _counted(caller, await campaigns.cancel_campaign(caller, _id(request)))


async def duplicate_campaign(request: Request, caller: Caller) -> Any:
    return await _counted(caller, await campaigns.duplicate_campaign(caller, _id(request)))


async def preview_campaign(request: Request, caller: Caller) -> Any:
    body = await optional_object_body(request)
    return await campaigns.preview_campaign(
        caller,
        _id(request),
        patient_id=body.get("patientId"),
        sample_data=body.get("sampleData"),
        language=body.get("language"),
    )


async def campaign_stats(request: Request, caller: Caller) -> Any:
    return await tracking.campaign_stats(caller, _id(request))


async def campaign_recipients(request: Request, caller: Caller) -> Any:
    return await tracking.campaign_recipients(
        caller,
        _id(request),
        status=choice_query(request, "status", RECIPIENT_PAGE_QUERY["status"]["enum"]),
        first=int_query(request, "first"),
        after=text_query(request, "after"),
        with_total=True,
    )


ROUTES: tuple[RestRoute, ...] = (
    RestRoute(
        "GET",
        BASE,
        campaigns.list_campaigns,
        list_campaigns,
        "Your clinic's campaigns, a page at a time",
        schemas.CampaignPage,
        query=CAMPAIGN_PAGE_QUERY,
        errors=errors(401, 403, 422),
        tag=TAG,
    ),
    RestRoute(
        "POST",
        BASE,
        campaigns.create_campaign,
        create_campaign,
        "Save a new draft campaign",
        schemas.CampaignWithCounts,
        201,
        CampaignInput,
        errors=errors(401, 403, 422),
        tag=TAG,
    ),
    RestRoute(
        "GET",
        ONE,
        campaigns.get_campaign,
        get_campaign,
        "One campaign",
        schemas.CampaignWithCounts,
        errors=ON_ONE,
        tag=TAG,
    ),
    RestRoute(
        "PUT",
        ONE,
        campaigns.update_campaign,
        update_campaign,
        "Replace a campaign's editable definition",
        schemas.CampaignWithCounts,
        request_body=CampaignInput,
        errors=CHANGE,
        tag=TAG,
    ),
    RestRoute(
        "DELETE",
        ONE,
        campaigns.delete_campaign,
        delete_campaign,
        "Delete a campaign",
        schemas.DeletedCampaign,
        errors=errors(401, 403, 404, 409, meaning=ONE_CAMPAIGN),
        tag=TAG,
    ),
    RestRoute(
        "POST",
        ONE + "/launch",
        campaigns.launch_campaign,
        launch_campaign,
        "Launch (role clinic_admin)",
        schemas.CampaignWithCounts,
        errors=LAUNCH,
        tag=TAG,
    ),
    RestRoute(
        "POST",
        ONE + "/pause",
        campaigns.pause_campaign,
        pause_campaign,
        "Pause an active campaign",
        schemas.CampaignWithCounts,
        errors=CHANGE,
        tag=TAG,
    ),
    RestRoute(
        "POST",
        ONE + "/resume",
        campaigns.resume_campaign,
        resume_campaign,
        "Resume a paused campaign",
        schemas.CampaignWithCounts,
        errors=CHANGE,
        tag=TAG,
    ),
    RestRoute(
        "POST",
        ONE + "/cancel",
        campaigns.cancel_campaign,
        cancel_campaign,
        "Cancel a campaign for good",
        schemas.CampaignWithCounts,
        errors=CHANGE,
        tag=TAG,
    ),
    RestRoute(
        "POST",
        ONE + "/duplicate",
        campaigns.duplicate_campaign,
        duplicate_campaign,
        "Copy a campaign as a new draft",
        schemas.CampaignWithCounts,
        201,
        errors=errors(401, 403, 404, 409, meaning=ONE_CAMPAIGN),
        tag=TAG,
    ),
    RestRoute(
        "POST",
        ONE + "/preview",
        campaigns.preview_campaign,
        preview_campaign,
        "Render the messages with a patient's or sample data",
        schemas.CampaignPreview,
        request_body=schemas.PreviewRequest,
        errors=errors(401, 403, 404, 422, meaning=ONE_CAMPAIGN),
        tag=TAG,
    ),
    RestRoute(
        "GET",
        ONE + "/stats",
        tracking.campaign_stats,
        campaign_stats,
        "The campaign's figures (503 NOT_AVAILABLE while tracking-svc is down)",
        CampaignStats,
        errors=errors(401, 403, 404, 503, meaning=ONE_CAMPAIGN),
        tag="tracking",
    ),
    RestRoute(
        "GET",
        ONE + "/recipients",
        tracking.campaign_recipients,
        campaign_recipients,
        "The campaign's recipients by cursor (503 NOT_AVAILABLE while tracking-svc is down)",
        schemas.RecipientPage,
        query=RECIPIENT_PAGE_QUERY,
        errors=errors(401, 403, 404, 422, 503, meaning=ONE_CAMPAIGN),
        tag="tracking",
    ),
)
