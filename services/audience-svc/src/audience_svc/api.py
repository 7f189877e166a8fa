"""audience-svc's internal JSON API for the gateway: estimate, import and one patient's merge
data (for a campaign preview). Parse, call, answer. (Over 300 lines: the estimate's request
models and the mapping of their errors to field codes live here with the routes that use them.)

The gateway forwards the caller's token; it is verified again here and scopes everything to
the caller's clinic.
"""

import asyncio
import json
import time
import uuid
from datetime import datetime
from typing import Any, Literal

import structlog
from pydantic import Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from audience_svc.domain.facts import State
from audience_svc.domain.households import groups_any, households, messages_by_channel
from audience_svc.domain.import_rows import BadImport, Rejected, Row
from audience_svc.domain.import_stream import (
    ImportLimits,
    ImportReader,
    RejectionReport,
    TooManyRows,
)
from audience_svc.domain.messages import patient_merge_data
from audience_svc.domain.recall import recall_problems
from audience_svc.domain.targeting import Audience, Evaluation, Selected, evaluate
from audience_svc.handlers import AudienceHandlers, pending_records
from audience_svc.off_loop import blocking_chunks, next_slice
from audience_svc.projection import Projection, Rows
from reengage_common.auth import MANAGE_REMINDERS, VIEW_ANALYTICS, Identity
from reengage_common.cpu import without_gc
from reengage_common.error_codes import AudienceErrorCode, code_of_pydantic_error, field_problems
from reengage_common.events import (
    MAX_OVERDUE_MONTHS,
    Channel,
    Envelope,
    MessageTemplate,
    PatientUpserted,
    RecallTargeting,
    Targeting,
    Variant,
    Wire,
)
from reengage_common.internal_api import Answer, Endpoint, internal, invalid
from reengage_common.messages import KNOWN_MERGE_FIELDS, TemplateRefused, compile_template
from reengage_common.recent import RecentAnswers
from reengage_common.web import error_response

log = structlog.get_logger(__name__)
IMPORT_NAMESPACE = uuid.UUID("5d1e0c3a-7b2f-4a9e-8c41-6f3b2a1d0e97")
MergeField = Literal[KNOWN_MERGE_FIELDS]  # type: ignore[valid-type]


class EstimateRecall(RecallTargeting):
    """A recall window as bounds (`targeting.recall.overdueByMonths`...), like campaign-svc's."""

    overdue_by_months: int = Field(default=0, ge=0, le=MAX_OVERDUE_MONTHS)
    max_overdue_months: int | None = Field(default=None, ge=1, le=MAX_OVERDUE_MONTHS)


class EstimateTargeting(Targeting):
    """A targeting as bounds, so a day count below 1 is named at its own path
    (`targeting.inactiveDays`) as OUT_OF_RANGE, like campaign-svc names it."""

    inactive_days: int = Field(ge=1)
    exclude_contact_days: int = Field(default=30, ge=1)
    recall: EstimateRecall | None = None

    def problems(self) -> list[dict[str, str]]:
        """What the bounds of each field cannot say (a recall window that selects no one)."""
        if self.recall is None:
            return []
        return [
            field_error(f"targeting.recall.{name}", message, AudienceErrorCode.OUT_OF_RANGE)
            for name, message in recall_problems(self.recall)
        ]


class EstimateRequest(Wire):
    """A targeting, and optionally the campaign's channels, steps, variants, holdout and id
    (with them the estimate is exactly what a launch now would select)."""

    targeting: EstimateTargeting
    channels: list[Channel] = Field(default_factory=lambda: list(Channel))
    message_templates: list[MessageTemplate] = Field(default_factory=list)
    variants: list[Variant] = Field(default_factory=lambda: [Variant(name="A", weight=1)])
    holdout_percent: float = Field(default=0, ge=0, le=50)
    campaign_id: str = "estimate"
    # Whose gaps to count; by default the fields the given templates use.
    merge_fields: list[MergeField] | None = None
    # Count the messages the first step sends as well (households grouped unless the campaign
    # turns that off): asked for, since it reads every patient's contact, which the counts of
    # patients alone never need.
    count_messages: bool = False
    group_households: bool = True

    def audience(self) -> Audience:
        steps = self.message_templates or [
            MessageTemplate(channel=c, body="", sequence=n, variant=v.name)
            for v in self.variants
            for n, c in enumerate(self.channels, start=1)
        ]
        return Audience(
            campaign_id=self.campaign_id,
            targeting=self.targeting,
            channels=tuple(c.value for c in self.channels),
            steps=tuple(s for s in steps if s.channel in self.channels),
            variants=tuple(self.variants),
            holdout_percent=self.holdout_percent,
            merge_fields=tuple(sorted(self._merge_fields())),
        )

    def _merge_fields(self) -> set[str]:
        if self.merge_fields is not None:
            return set(self.merge_fields)
        used: set[str] = set()
        for step in self.message_templates:
            for source in (step.subject, step.body):
                try:
                    used |= compile_template(source).merge_fields if source else set()
                except TemplateRefused:
                    continue  # campaign-svc names what is wrong with it; an estimate counts
        return used


class Invalid(ValueError):
    """Field errors, each `{"field", "message", "code"}` with an `AudienceErrorCode`."""

    def __init__(self, fields: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{f['field']}: {f['message']}" for f in fields))
        self.fields = fields


def answering_errors(endpoint: Endpoint, requires: str) -> Answer:
    return internal(endpoint, requires=requires, errors={Invalid: lambda exc: invalid(exc.fields)})


def field_error(field: str, message: str, code: AudienceErrorCode) -> dict[str, str]:
    return {"field": field, "message": message, "code": code}


# pydantic's error types for a value past a bound (`ge`, `le`...) and for one outside a choice.
_RANGE_ERRORS = frozenset({"greater_than", "greater_than_equal", "less_than", "less_than_equal"})
_CHOICE_ERRORS = frozenset({"enum", "literal_error"})


def code_of(error_type: str) -> AudienceErrorCode:
    """The code for one of pydantic's `ErrorDetails["type"]`."""
    if error_type in _RANGE_ERRORS:
        return AudienceErrorCode.OUT_OF_RANGE
    if error_type in _CHOICE_ERRORS:
        return AudienceErrorCode.NOT_ONE_OF
    return AudienceErrorCode(code_of_pydantic_error(error_type))


def field_errors(exc: ValidationError) -> list[dict[str, str]]:
    return [
        field_error(problem.field, problem.message, code_of(problem.error_type))
        for problem in field_problems(exc, "body")
    ]


async def estimate(request: Request, identity: Identity) -> Response:
    try:
        body = await request.json()
    except ValueError as exc:
        raise Invalid([field_error("body", "is not JSON", AudienceErrorCode.NOT_JSON)]) from exc
    try:
        # Strictly, as JSON (as campaign-svc reads a campaign): false is not a holdout of 0 %.
        wanted = EstimateRequest.model_validate_json(json.dumps(body), strict=True)
    except ValidationError as exc:
        raise Invalid(field_errors(exc)) from exc
    if problems := wanted.targeting.problems():
        raise Invalid(problems)
    cache: RecentAnswers = request.state.estimates
    key = estimate_key(identity.clinic_id, wanted)
    clinic_id, projection = identity.clinic_id, request.state.projection
    now = request.state.clock().timestamp()
    return JSONResponse(
        await cache.answer(key, lambda: estimate_of(clinic_id, wanted, projection, now))
    )


def estimate_key(clinic_id: str, wanted: EstimateRequest) -> tuple[str, str]:
    """Equal questions share one recent answer however they were spelled: the gateway's REST
    and GraphQL paths write a targeting's defaults differently, and keyed by the raw body the
    first GraphQL estimate under a 100,000-patient send was computed cold (1.8 s) although the
    same one had just been answered through REST."""
    return clinic_id, wanted.model_dump_json()


def _evaluate(audience: Audience, rows: Rows, now: float, keep: bool) -> Evaluation:
    with without_gc():
        return evaluate(audience, rows, now, keep=keep)


def _grouped(selected: list[Selected], states: dict[str, State]) -> dict[str, int]:
    with without_gc():
        return messages_by_channel(selected, households(selected, states))


async def _messages(
    clinic_id: str, wanted: EstimateRequest, result: Evaluation, projection: Projection
) -> dict[str, int]:
    """Messages by channel as the fan-out would group them (`domain/households.py`)."""
    if not groups_any(result.selected, group=wanted.group_households):
        return messages_by_channel(result.selected, {})
    states = await projection.patient_states(clinic_id)
    return await asyncio.to_thread(_grouped, result.selected, states)


async def estimate_of(
    clinic_id: str, wanted: EstimateRequest, projection: Projection, now: float
) -> dict[str, Any]:
    """The estimate's answer (camelCase JSON) as a launch at `now` would select."""
    started = time.perf_counter()
    rows = await projection.rows(clinic_id)
    read = time.perf_counter()
    # Off the event loop (evaluating 100,000 rows is most of a second): the service answers
    # other requests meanwhile.
    keep = wanted.count_messages  # who is selected, for the households they form
    result = await asyncio.to_thread(_evaluate, wanted.audience(), rows, now, keep)
    messages = await _messages(clinic_id, wanted, result, projection) if keep else None
    log.info(
        "audience.estimated",
        clinic_id=clinic_id,
        patients=result.patients,
        read_seconds=round(read - started, 3),
        evaluate_seconds=round(time.perf_counter() - read, 3),
    )
    answer = {
        "total": result.total,
        "targeted": result.targeted,
        "heldOut": result.held_out,
        "patients": result.patients,
        "excluded": dict(result.excluded),
        "byChannel": dict(result.by_channel),
        "reach": dict(result.reach),
        "recall": result.recall,
    }
    if wanted.merge_fields is not None or wanted.message_templates:
        # Only when asked (fields, or templates using them): the answer is as before otherwise.
        answer["missingFields"] = [
            {"field": name, "count": count} for name, count in result.missing.items()
        ]
    if messages is not None:
        answer["messages"] = sum(messages.values())
        answer["messagesByChannel"] = messages
    return answer


async def merge_data(request: Request, identity: Identity) -> Response:
    """`{"patient": {...}, "language": "es-MX"}`: the patient's merge data exactly as their
    message.due carries it, and their preferred language (its `contact.language`, null when
    unknown), so a preview shows what the patient will get. Rendering with a patient's data is
    a manage action, as the preview that asks for it."""
    patient_id = request.path_params["patientId"]
    projection: Projection = request.state.projection
    state = await projection.patient_state(identity.clinic_id, patient_id)
    if state is None:
        return error_response(404, "NOT_FOUND", f"patient {patient_id} not found")
    language = (state["p"] or {}).get("preferredLanguage")
    return JSONResponse({"patient": patient_merge_data(state), "language": language})


async def import_patients(request: Request, identity: Identity) -> Response:
    """JSON lines or CSV, streamed and parsed off the event loop; the first rejected rows with
    their line numbers and reasons, and how many more."""
    handlers: AudienceHandlers = request.state.handlers
    limits: ImportLimits = request.state.import_limits
    chunk_rows: int = request.state.import_chunk_rows
    import_id, now = uuid.uuid4().hex, request.state.clock()
    chunks = blocking_chunks(request.stream(), asyncio.get_running_loop())
    reader = ImportReader(chunks, "json" in request.headers.get("content-type", ""), limits)
    outcomes = iter(reader)
    report, imported = RejectionReport(limits), 0
    # Kept (compressed) until the whole file is read: a file refused part-way, by a limit or
    # a body cut at MAX_IMPORT_BODY_BYTES, stores nothing.
    staged: list[dict[str, Any]] = []

    def prepared(outcome: Row | Rejected) -> Envelope[PatientUpserted] | Rejected:
        # in the worker too: building an event validates it again, which is CPU as well
        if isinstance(outcome, Rejected):
            return outcome
        return _envelope(outcome, identity.clinic_id, import_id, now)

    while True:
        taken, stopped = await next_slice(outcomes, chunk_rows, prepared)
        batch = [item for item in taken if isinstance(item, Envelope)]
        for item in taken:
            if isinstance(item, Rejected):
                report.add(item)
        if batch:
            staged += pending_records(batch)
            imported += len(batch)
        if stopped is not None:
            raise _refusal(stopped, imported)
        if not taken:
            break
    await handlers.projection.append(staged)
    log.info(
        "patients.imported", clinic_id=identity.clinic_id, imported=imported, rejected=report.count
    )
    return JSONResponse(
        {
            "imported": imported,
            "rejectedCount": report.count,
            "rejected": report.listed,
            "moreRejected": report.more,
        }
    )


def _refusal(stopped: Exception, read: int) -> Invalid:
    """The file as a whole refused: none of its rows is stored, which the message says when
    some were read before the problem."""
    if isinstance(stopped, TooManyRows):
        code = AudienceErrorCode.TOO_LARGE
    elif isinstance(stopped, BadImport):
        code = AudienceErrorCode.UNREADABLE_FILE
    else:
        raise stopped
    message = f"{stopped} (nothing was imported)" if read else str(stopped)
    return Invalid([field_error("file", message, code)])


def _envelope(row: Row, clinic_id: str, import_id: str, now: datetime) -> Envelope[PatientUpserted]:
    event_id = str(uuid.uuid5(IMPORT_NAMESPACE, f"{clinic_id}/{import_id}/{row.line}"))
    return Envelope[PatientUpserted](
        id=event_id,
        type=PatientUpserted.topic,
        source="audience-svc.import",
        time=now,
        clinic_id=clinic_id,
        data=row.patient,
    )


routes = [
    Route("/estimate", answering_errors(estimate, VIEW_ANALYTICS), methods=["POST"]),
    Route("/import", answering_errors(import_patients, MANAGE_REMINDERS), methods=["POST"]),
    Route(
        "/patients/{patientId}/merge-data",
        answering_errors(merge_data, MANAGE_REMINDERS),
        methods=["GET"],
    ),
]
