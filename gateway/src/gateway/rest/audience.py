"""POST /api/booking/campaigns/estimate and POST /api/booking/patients/import."""

from typing import Any, Literal

from pydantic import Field
from starlette.requests import Request

from gateway.operations import audience
from gateway.operations.access import Caller
from gateway.rest import schemas
from gateway.rest.endpoints import RestRoute, errors, json_body
from reengage_common.events import Channel, MessageTemplate, Targeting, Variant, Wire
from reengage_common.messages import KNOWN_MERGE_FIELDS

MergeField = Literal[KNOWN_MERGE_FIELDS]  # type: ignore[valid-type]


class EstimateRequest(Wire):
    targeting: Targeting
    channels: list[Channel] | None = None
    message_templates: list[MessageTemplate] | None = None
    variants: list[Variant] | None = None
    holdout_percent: float | None = None
    merge_fields: list[MergeField] | None = Field(
        default=None,
        description="Count the targeted patients lacking each of these patient merge fields "
        "(default: the fields messageTemplates use)",
    )
    count_messages: bool | None = Field(
        default=None,
        description="Count the messages the first step would send too (messages, "
        "messagesByChannel): it reads every patient's contact, so only when asked",
    )
    group_households: bool | None = Field(
        default=None,
        description="As the campaign's: one message per household (the default) or false: "
        "one per patient",
    )


class MissingField(Wire):
    field: str = Field(description="A patient merge field, e.g. patient.lastVisitDate")
    count: int = Field(description="Targeted patients whose record lacks it")


class RecallBuckets(Wire):
    """Selected patients by how overdue their recall is (the due date: the last visit plus the
    patient's recall interval); every selected patient in one bucket."""

    overdue_12_plus_months: int
    overdue_3_to_12_months: int
    overdue_1_to_3_months: int
    due_this_month: int = Field(description="Due by the end of this month, less than a month ago")
    not_due: int = Field(description="Due after this month")


class AudienceEstimate(Wire):
    total: int = Field(description="Patients selected: targeted plus held out")
    targeted: int
    held_out: int
    patients: int = Field(description="The clinic's known patients: total plus every exclusion")
    excluded: dict[str, int] = Field(description="Reason (the first that applies) -> patients")
    by_channel: dict[str, int] = Field(description="Channel of each selected patient's step 1")
    reach: dict[str, int] = Field(
        default_factory=dict,
        description="Selected patients each channel asked for can reach (contact and consent)",
    )
    missing_fields: list[MissingField] = Field(
        default_factory=list, description="For each patient field asked for (or used)"
    )
    recall: RecallBuckets
    messages: int | None = Field(
        default=None,
        description="With countMessages: messages the first step would send, one per targeted "
        "patient except that patients sharing its contact get one together (groupHouseholds)",
    )
    messages_by_channel: dict[str, int] | None = Field(
        default=None, description="With countMessages: the messages by channel"
    )


class RejectedRow(Wire):
    line: int
    reason: str


class ImportReport(Wire):
    imported: int
    rejected_count: int = Field(description="Every rejected row")
    rejected: list[RejectedRow] = Field(description="The first 100 rejected rows")
    more_rejected: int = Field(description="Rejected rows past those listed")


async def estimate(request: Request, caller: Caller) -> Any:
    return await audience.estimate_for_campaign(caller, await json_body(request))


async def import_patients(request: Request, caller: Caller) -> Any:
    return await audience.import_patients(
        caller, request.stream(), request.headers.get("content-type", "")
    )


AUDIENCE_DOWN = {503: "audience-svc, which answers this, is down or unreachable"}

ROUTES: tuple[RestRoute, ...] = (
    RestRoute(
        "POST",
        "/api/booking/campaigns/estimate",
        audience.estimate_for_campaign,
        estimate,
        "How many patients a targeting (or a whole draft) reaches now, excluded by reason",
        AudienceEstimate,
        request_body=EstimateRequest,
        errors=errors(401, 403, 422, 503, meaning=AUDIENCE_DOWN),
        tag="audience",
    ),
    RestRoute(
        "POST",
        "/api/booking/patients/import",
        audience.import_patients,
        import_patients,
        "Import patients: CSV (header of contract field names, dotted for nested ones) or "
        "JSON lines, streamed (at most 50 MB, 500,000 rows, 64 kB a line or record); answers "
        "counts and the first 100 rejected rows with their line",
        ImportReport,
        errors=errors(
            401,
            403,
            413,
            422,
            503,
            meaning={
                **AUDIENCE_DOWN,
                413: "The body is over the import's limit (MAX_IMPORT_BODY_BYTES)",
                422: "The body is neither CSV nor JSON lines of the contract's patient fields, "
                "or has a line over 64 kB or more rows than an import takes (TOO_LARGE)",
            },
        ),
        tag="audience",
    ),
)

__all__ = ["ROUTES", "schemas"]
