"""The event contract: one envelope, one pydantic model per topic (see ARCHITECTURE.md).
(Over 300 lines: the whole contract in one file, as ARCHITECTURE.md names it, so a
producer, a consumer and the generated AsyncAPI document read the same models in one place.)

Every producer and consumer imports its event from here. A change is additive, or a new
`version`.
"""

import json
import re
import uuid
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Generic, Literal, TypeVar

from annotated_types import Ge, Lt
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)
from pydantic.alias_generators import to_camel

from reengage_common.logging import current_trace_id

MESSAGE_ID_NAMESPACE = uuid.UUID("6f0f7a52-3c1e-4b8e-9a53-2f5b1c3e9d10")


class Wire(BaseModel):
    """camelCase on the wire, snake_case in Python; unknown fields are ignored."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class Event(Wire):
    """The `data` of an envelope. Subclasses name their topic and the field that keys it."""

    topic: ClassVar[str]
    key_field: ClassVar[str]
    version: ClassVar[int] = 1

    @property
    def key(self) -> str:
        return str(getattr(self, self.key_field))


# --- values every part can store and compute with ----------------------------------------------
# A hostile or broken producer may send what JSON and the types allow but no part can use: an
# integer past MongoDB's 64 bits, a time whose UTC lies outside the calendar Python computes in
# (year 1 at +01:00). Such an event is malformed, its reason naming the field, instead of failing
# a handler five times (or, stored, every fan-out of its clinic). Bounds only: the documents'
# schemas are unchanged.
EARLIEST = datetime(1800, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)


def _fits_64_bits(value: int) -> int:
    if not -(2**63) <= value < 2**63:
        raise ValueError("integer out of range: must fit in 64 bits")
    return value


Int64 = Annotated[int, AfterValidator(_fits_64_bits)]
# Bounds checked by pydantic-core itself: an after-validator in Python cost 7 µs per time, two
# per message.due, in every consumer of it (5 % of dispatch's worker in a send).
Moment = Annotated[AwareDatetime, Ge(EARLIEST), Lt(LATEST)]


# --- campaign vocabulary, shared by the snapshot in campaign.launched --------------------------


class Channel(StrEnum):
    EMAIL = "EMAIL"
    SMS = "SMS"
    MAIL = "MAIL"


class CampaignStatus(StrEnum):
    DRAFT = "DRAFT"
    SCHEDULED = "SCHEDULED"
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


# Constraints stated for the API's documents (`json_schema_extra`), each a rule the services
# check themselves with their own message and code; an event is not refused for them.
AT_LEAST_ONE: dict[str, Any] = {"minimum": 1}
HH_MM_IN_LEGAL_HOURS = r"^((0[89]|1\d|20):[0-5]\d|21:00)$"
HH_MM = r"^([01]\d|2[0-3]):[0-5]\d$"
E164 = r"^\+[1-9]\d{1,14}$"
# A page's address: https, written in lower case (the profile's rule); `pattern` binds strings
# only, so a null stays allowed.
HTTPS: dict[str, Any] = {"pattern": "^https://"}


# Overdue bounds of a recall targeting, in calendar months (a century at most).
MAX_OVERDUE_MONTHS = 1200


class RecallTargeting(Wire):
    """Patients whose recall is due (the due date: audience-svc's `domain/recall.py`): due by
    the end of this month, or `overdueByMonths` overdue at least; with `maxOverdueMonths`,
    overdue by less than that; with `dueSince`, due on or after that date (UTC)."""

    due_since: date | None = Field(
        default=None, description="Only recalls that fell due on or after this date (UTC)"
    )
    overdue_by_months: Int64 = Field(
        default=0,
        description="At least this many months overdue; 0: due this month or overdue",
        json_schema_extra={"minimum": 0, "maximum": MAX_OVERDUE_MONTHS},
    )
    max_overdue_months: Int64 | None = Field(
        default=None,
        description="Overdue by less than this many months (above overdueByMonths)",
        json_schema_extra={"minimum": 1, "maximum": MAX_OVERDUE_MONTHS},
    )


class Targeting(Wire):
    inactive_days: Int64 = Field(json_schema_extra=AT_LEAST_ONE)
    treatment_stages: list[str] = Field(default_factory=list)
    include_no_shows: bool = True
    include_dropouts: bool = True
    exclude_recent_contact: bool = True
    exclude_contact_days: Int64 = Field(default=30, json_schema_extra=AT_LEAST_ONE)
    # None (and absent, as in every snapshot before it): no recall criterion.
    recall: RecallTargeting | None = None


class TemplateTranslation(Wire):
    """A step's template in another language than the campaign's default one."""

    language: str = Field(description="A language code messages are written in: en or es")
    subject: str | None = None
    body: str


class MessageTemplate(Wire):
    channel: Channel
    subject: str | None = None
    body: str
    sequence: Int64
    delay_days: Int64 = 0
    variant: str = "A"
    # Additive: the step in other languages; `subject` and `body` are the default language's.
    translations: list[TemplateTranslation] = Field(
        default_factory=list,
        description="The step's template in other languages than the campaign's default one; "
        "a patient whose language has none gets the default one",
    )


class ChannelFallback(Wire):
    """A campaign's channel fallback (issue 22 #8): a step whose `channel` message failed for
    good (the provider refused the address or number) or bounced goes once more, by `to`, with
    this template. Several rules of one `channel` are tried in their order: the first `to` the
    patient consents to and has a contact for is taken; one fallback per step, never a
    fallback of a fallback."""

    channel: Channel = Field(
        description="The channel whose failure or bounce falls back: EMAIL or SMS"
    )
    to: Channel = Field(description="The channel the step goes by instead")
    subject: str | None = Field(default=None, description="The fallback's subject (EMAIL, MAIL)")
    body: str = Field(description="The fallback's template (Jinja2, the steps' merge fields)")


class Variant(Wire):
    name: str
    weight: Int64 = 1


class Schedule(Wire):
    # None in a draft: launching it starts it now (the launch fills the date in).
    start_date: Moment | None = None
    end_date: Moment | None = None
    send_times: list[str] = Field(
        default_factory=lambda: ["10:00"],
        description="HH:MM within 08:00-21:00, the hours the law allows outreach",
        json_schema_extra={
            "items": {"type": "string", "pattern": HH_MM_IN_LEGAL_HOURS},
            "minItems": 1,
            "uniqueItems": True,
        },
    )
    timezone: str = "UTC"


class Incentive(Wire):
    has_incentive: bool = False
    incentive_details: str | None = None
    incentive_code: str | None = None
    incentive_cost_cents: Int64 = Field(default=0, json_schema_extra={"minimum": 0})


class Address(Wire):
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None


class Contact(Wire):
    """Where one message goes: the patient's, or the guardian's for a minor."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None
    address: Address | None = None
    timezone: str | None = None
    # Additive: the patient's preferred language as the clinic's systems state it (BCP 47,
    # e.g. "es-MX"); None when unknown. Picks the template and the opt-out wording.
    language: str | None = None


class QuietHours(Wire):
    """The clinic's own sending hours ("HH:MM", its patients' local time); never wider than the
    08:00-21:00 the law allows (see `reengage_common.clinic`)."""

    start: str = Field(default="08:00", json_schema_extra={"pattern": HH_MM})
    end: str = Field(default="21:00", json_schema_extra={"pattern": HH_MM})


class ClinicProfile(Wire):
    """One clinic's profile: the resource campaign-svc keeps (GET/PUT /clinic), and the snapshot
    `campaign.launched` carries so dispatch and tracking never ask for it at send time.

    Types only; the rules a saved profile meets are `reengage_common.clinic.profile_errors`, so
    snapshots written before a rule existed stay readable.
    """

    name: str = Field(json_schema_extra={"pattern": r"\S", "maxLength": 200})
    phone: str | None = Field(default=None, description="As patients should dial it")
    email: str | None = None
    address: Address | None = Field(default=None, description="Postal address (email footers)")
    timezone: str = Field(
        description="IANA time zone, e.g. America/Chicago", json_schema_extra={"minLength": 1}
    )
    booking_url: str | None = Field(
        default=None, description="https page patients book on", json_schema_extra=HTTPS
    )
    email_from: str | None = Field(
        default=None, description="Sender of emails: display name and address"
    )
    sms_from: str | None = Field(
        default=None,
        description="Sender of SMS, E.164 (+15005550006)",
        json_schema_extra={"pattern": E164},
    )
    website: str | None = Field(default=None, json_schema_extra=HTTPS)
    quiet_hours: QuietHours = Field(
        default_factory=QuietHours, description="Default (and null): 08:00-21:00"
    )

    @field_validator("address", mode="before")
    @classmethod
    def _one_line_address(cls, value: Any) -> Any:
        # Snapshots before profiles carried the address as one line of text.
        return {"line1": value} if isinstance(value, str) else value

    @field_validator("quiet_hours", mode="before")
    @classmethod
    def _null_means_the_legal_window(cls, value: Any) -> Any:
        return QuietHours() if value is None else value


# --- the topics ---------------------------------------------------------------------------------


class CampaignLaunched(Event):
    topic: ClassVar[str] = "campaign.launched"
    key_field: ClassVar[str] = "campaign_id"

    campaign_id: str
    name: str
    targeting: Targeting
    channels: list[Channel]
    message_templates: list[MessageTemplate]
    variants: list[Variant]
    holdout_percent: float = 0
    schedule: Schedule
    incentive: Incentive = Field(default_factory=Incentive)
    run_number: Int64 = 1
    launched_at: Moment
    # Additive: enrol newly lapsed patients daily while ACTIVE; the clinic the messages speak for.
    refresh_daily: bool = False
    clinic: ClinicProfile | None = None
    # Additive: the language of each step's own template (its translations name theirs).
    default_language: str = "en"
    # Additive (issue 22 #8): where a step goes when its channel fails; empty: no fallback.
    channel_fallback: list[ChannelFallback] = Field(default_factory=list)
    # Additive (issue 22 #3): one message per household (patients sharing a step's contact);
    # false: one per patient. Snapshots from before the setting existed grouped, so True.
    group_households: bool = Field(
        default=True,
        description="Patients sharing a step's contact get one message naming them all; "
        "false: one message per patient",
    )


class CampaignStatusChanged(Event):
    topic: ClassVar[str] = "campaign.status_changed"
    key_field: ClassVar[str] = "campaign_id"

    campaign_id: str
    from_status: CampaignStatus = Field(alias="from")
    to: CampaignStatus
    at: Moment


class HouseholdMember(Wire):
    """A patient one household message names (audience-svc's `domain/households.py`): their
    own messageId is the one their stats and sequence stop use."""

    patient_id: str
    message_id: str
    # The member's own `mergeData.patient` (firstName, lastName, lastVisitDate, ...): what
    # names them, and what a later step led by them merges.
    patient: dict[str, Any] = Field(default_factory=dict)


class MessageDue(Event):
    topic: ClassVar[str] = "message.due"
    key_field: ClassVar[str] = "patient_id"

    message_id: str
    campaign_id: str
    patient_id: str
    run_number: Int64 = 1
    sequence: Int64
    channel: Channel
    variant: str = "A"
    due_at: Moment
    contact: Contact
    merge_data: dict[str, Any] = Field(default_factory=dict)
    incentive_code: str | None = None
    # Additive: one message for a household (patients sharing the contact of this channel),
    # naming these members, `patientId` (the one the event is keyed by) among them; empty for
    # a message to one patient.
    household: list[HouseholdMember] = Field(
        default_factory=list,
        description="The patients one household message names (each with their own "
        "messageId), the keyed patient first; empty for a message to one patient",
    )
    # Additive (issue 22 #8): set on a channel fallback, the step's message it replaces.
    fallback_for: str | None = Field(
        default=None,
        description="A channel fallback's: the messageId of the step's message that failed or "
        "bounced (this one goes by the campaign's channelFallback instead); null otherwise",
    )


class SendOutcome(StrEnum):
    SENT = "SENT"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"


class MessageSent(Event):
    topic: ClassVar[str] = "message.sent"
    key_field: ClassVar[str] = "patient_id"

    message_id: str
    campaign_id: str
    patient_id: str
    sequence: Int64
    channel: Channel
    variant: str = "A"
    outcome: SendOutcome
    reason: str | None = None
    provider: str | None = None
    provider_message_id: str | None = None
    cost_cents: Int64 = 0
    retried: bool = False
    at: Moment
    # Additive: the patients one household message named (this patient among them), so a
    # click, unsubscribe or bounce on it counts for each; empty for a message to one patient.
    household: list[str] = Field(
        default_factory=list,
        description="Patient ids the one household message named, this one among them",
    )
    # Additive (issue 22 #8): what a channel fallback needs to know.
    fallback_for: str | None = Field(
        default=None, description="A channel fallback's: the messageId of the message it replaces"
    )
    undeliverable: bool = Field(
        default=False,
        description="The channel cannot reach the patient: the provider refused the address or "
        "number for good (FAILED), or it bounced before (SKIPPED); a channel fallback may follow",
    )


class RecipientHeldOut(Event):
    """A holdout patient: no message, counted to measure the campaign's lift."""

    topic: ClassVar[str] = "recipient.held_out"
    key_field: ClassVar[str] = "patient_id"

    campaign_id: str
    patient_id: str
    run_number: Int64 = 1
    variant: str | None = None
    at: Moment


class AudienceEvaluated(Event):
    """Once per fan-out, when it is complete: who was targeted, held out and excluded, and why."""

    topic: ClassVar[str] = "audience.evaluated"
    key_field: ClassVar[str] = "campaign_id"

    campaign_id: str
    run_number: Int64 = 1
    targeted: Int64
    held_out: Int64
    excluded: dict[str, int] = Field(default_factory=dict)
    at: Moment
    # "LAUNCH": the launch's fan-out (the run's audience); "DAILY": one day's enrolment of a
    # refreshDaily campaign under the same run (its counts add to the run's), dated by `day`.
    enrolment: Literal["LAUNCH", "DAILY"] = "LAUNCH"
    day: date | None = None


class ResponseKind(StrEnum):
    INTERESTED = "INTERESTED"
    NOT_INTERESTED = "NOT_INTERESTED"
    CLICKED = "CLICKED"
    REBOOKED = "REBOOKED"
    UNSUBSCRIBED = "UNSUBSCRIBED"
    BOUNCED = "BOUNCED"


class RecipientResponded(Event):
    topic: ClassVar[str] = "recipient.responded"
    key_field: ClassVar[str] = "patient_id"

    campaign_id: str
    patient_id: str
    kind: ResponseKind
    channel: Channel | None = None
    appointment_id: str | None = None
    revenue_cents: Int64 = 0
    at: Moment
    # Additive (issue 22 #8): the message a BOUNCED is about, for a channel fallback.
    message_id: str | None = Field(
        default=None, description="The message a BOUNCED is about (null for other kinds)"
    )
    sequence: Int64 | None = Field(default=None, description="Its step (a BOUNCED's)")
    variant: str | None = Field(default=None, description="Its variant (a BOUNCED's)")
    fallback_for: str | None = Field(
        default=None, description="Set when the bounced message was itself a channel fallback"
    )


class MessageReceived(Event):
    """An SMS a patient sent to a clinic's number, matched to the campaign whose message it
    answers (tracking-svc, from Twilio's inbound webhook): what a front-desk inbox shows.
    `meaning` is tracking's reading of it (STOP, HELP, INTERESTED, NOT_INTERESTED, OTHER); the
    response it implies travels as `recipient.responded` as before."""

    topic: ClassVar[str] = "message.received"
    key_field: ClassVar[str] = "patient_id"

    message_sid: Annotated[str, Field(max_length=64)]
    campaign_id: str
    patient_id: str
    channel: Channel = Channel.SMS
    sender: Annotated[str, Field(max_length=32)]  # the patient's number (Twilio's From)
    clinic_number: Annotated[str, Field(max_length=32)]  # the clinic's number (To)
    body: Annotated[str, Field(max_length=1600)]
    meaning: Annotated[str, Field(max_length=32)]
    timezone: Annotated[str, Field(max_length=64)] | None = None  # the clinic's, for replies
    at: Moment


# What a clinic's systems may say about a patient, bounded where it comes in (the import and
# `patient.upserted`): every value may be merged into each message, so none may be a document.
# Natural lengths: a name of 100 characters, an address per RFC 5321 (254), a phone number as
# typed with its formatting (32), a postal line of 200.
PatientName = Annotated[str, Field(max_length=100)]
EmailAddress = Annotated[str, Field(max_length=254)]
PhoneNumber = Annotated[str, Field(max_length=32)]
PostalLine = Annotated[str, Field(max_length=200)]
PatientId = Annotated[str, Field(max_length=128)]
ShortCode = Annotated[str, Field(max_length=64)]  # zones, stages, dates, languages, postcodes
# A practice system's recall interval, in months: 1 to 10 years. Stated, not enforced on the
# event (a patient's consents must not be refused for it): audience-svc reads a value outside
# as none, and its import refuses the row naming the field.
RECALL_INTERVAL_MONTHS: dict[str, Any] = {"minimum": 1, "maximum": 120}


class Guardian(Wire):
    name: PatientName | None = None
    email: EmailAddress | None = None
    phone: PhoneNumber | None = None


class PatientAddress(Address):
    """A patient's postal address as clinic systems send it: `Address` with bounded lines."""

    line1: PostalLine | None = None
    line2: PostalLine | None = None
    city: PatientName | None = None
    state: PatientName | None = None
    postal_code: ShortCode | None = None
    country: PatientName | None = None


class Consents(Wire):
    email: bool | None = None
    sms: bool | None = None
    mail: bool | None = None


class PatientUpserted(Event):
    """Inbound from clinic systems; optional fields may be absent or null."""

    topic: ClassVar[str] = "patient.upserted"
    key_field: ClassVar[str] = "patient_id"

    patient_id: PatientId
    first_name: PatientName | None = None
    last_name: PatientName | None = None
    email: EmailAddress | None = None
    phone: PhoneNumber | None = None
    address: PatientAddress | None = None
    timezone: ShortCode | None = None
    birth_date: ShortCode | None = None
    guardian: Guardian | None = None
    preferred_language: ShortCode | None = None
    consents: Consents = Field(default_factory=Consents)
    treatment_stage: ShortCode | None = None
    treatment_status: ShortCode | None = None
    do_not_contact: bool = False
    deceased: bool = False
    created_at: Moment | None = None
    recall_interval_months: Int64 | None = Field(
        default=None,
        description="The patient's own recall interval in months, when the practice system "
        "keeps one; else the treatment stage's (audience-svc)",
        json_schema_extra=RECALL_INTERVAL_MONTHS,
    )


class AppointmentStatus(StrEnum):
    BOOKED = "BOOKED"
    COMPLETED = "COMPLETED"
    NO_SHOW = "NO_SHOW"
    CANCELLED = "CANCELLED"


class AppointmentUpdated(Event):
    """Inbound from clinic systems."""

    topic: ClassVar[str] = "appointment.updated"
    key_field: ClassVar[str] = "patient_id"

    appointment_id: str
    patient_id: str
    status: AppointmentStatus
    scheduled_at: Moment
    value_cents: Int64 = 0
    incentive_code: str | None = None


EVENT_TYPES: dict[str, type[Event]] = {
    model.topic: model
    for model in (
        CampaignLaunched,
        CampaignStatusChanged,
        MessageDue,
        RecipientHeldOut,
        AudienceEvaluated,
        MessageSent,
        RecipientResponded,
        MessageReceived,
        PatientUpserted,
        AppointmentUpdated,
    )
}
TOPICS: tuple[str, ...] = tuple(EVENT_TYPES)


# --- the envelope ---------------------------------------------------------------------------------

E = TypeVar("E", bound=Event)


class Envelope(Wire, Generic[E]):
    id: str
    type: str
    version: Int64 = 1
    source: str
    time: Moment
    clinic_id: str
    trace_id: str | None = None
    data: E

    @classmethod
    def wrap(
        cls, data: E, *, source: str, clinic_id: str, at: datetime | None = None
    ) -> "Envelope[E]":
        envelope_type = ENVELOPE_TYPES.get(data.topic) or Envelope[type(data)]  # type: ignore[misc]
        return envelope_type(
            id=str(uuid.uuid4()),
            type=data.topic,
            version=data.version,
            source=source,
            time=at or datetime.now(UTC),
            clinic_id=clinic_id,
            trace_id=current_trace_id(),
            data=data,
        )

    @property
    def key(self) -> str:
        return self.data.key

    def to_json(self) -> bytes:
        return self.model_dump_json(by_alias=True).encode()

    def to_document(self) -> dict[str, Any]:
        """A JSON-safe dict, e.g. for an outbox entry stored beside the state it belongs to."""
        return self.model_dump(mode="json", by_alias=True)


class MalformedEvent(ValueError):
    """The bytes on a topic are not an event of the contract; `reason` names the field."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# A NUL character (JSON's \u0000, not preceded by an escaping backslash): PostgreSQL, under
# FerretDB, refuses to store one in any text, so a handler storing the event would fail on it.
_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


# Each topic's envelope model, made once: `Envelope[model]` computes pydantic's generic cache
# key on every use, and the consumers' hot path used it once per event.
ENVELOPE_TYPES: dict[str, type[Envelope[Any]]] = {
    topic: Envelope[model]  # type: ignore[valid-type]
    for topic, model in EVENT_TYPES.items()
}


def parse(raw: bytes | str | dict[str, Any], topic: str | None = None) -> Envelope[Event]:
    """Validate an envelope and its typed `data`, or raise MalformedEvent naming the field."""
    _refuse_nul(raw)
    fast = _parse_on_topic(raw, topic)
    if fast is not None:
        return fast
    try:
        document = raw if isinstance(raw, dict) else json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedEvent(f"not JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise MalformedEvent("envelope: expected a JSON object")
    event_type = document.get("type")
    model = EVENT_TYPES.get(event_type) if isinstance(event_type, str) else None
    if model is None:
        raise MalformedEvent(f"type: unknown event type {event_type!r}")
    if topic is not None and topic != event_type:
        raise MalformedEvent(f"type: {event_type!r} does not belong on topic {topic!r}")
    try:
        return ENVELOPE_TYPES[model.topic].model_validate(document)
    except ValidationError as exc:
        raise MalformedEvent(describe_validation_error(exc)) from exc


def _parse_on_topic(raw: bytes | str | dict[str, Any], topic: str | None) -> Envelope[Event] | None:
    """The consumer's hot path: the topic names the model, so pydantic validates the JSON in one
    pass (~4x faster than json.loads then validate). None sends anything odd to the slow path,
    which names the problem."""
    envelope_type = ENVELOPE_TYPES.get(topic) if topic is not None else None
    if envelope_type is None or isinstance(raw, dict):
        return None
    try:
        envelope = envelope_type.model_validate_json(raw)
    except ValidationError:
        return None
    return envelope if envelope.type == topic else None


def _refuse_nul(raw: bytes | str | dict[str, Any]) -> None:
    if isinstance(raw, dict):
        document: Any = raw
    else:
        data = raw.encode() if isinstance(raw, str) else raw
        if b"\\u0000" not in data or not _NUL.search(data):
            return
        try:
            document = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            return  # not JSON: the parse says so
    problem = nul_problem(document)
    if problem is not None:
        raise MalformedEvent(problem)


def nul_problem(document: Any) -> str | None:
    """Where a document (decoded JSON) holds a NUL character, as a field problem; else None."""
    path = _nul_path(document, [])
    if path is None:
        return None
    return f"{'.'.join(path) or 'value'}: text may not contain NUL (\\u0000)"


def _nul_path(value: Any, path: list[str]) -> list[str] | None:
    """Where the first NUL character is: the path of its text (or of the key holding it)."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in str(key):
                return [*path, repr(key)]
            found = _nul_path(item, [*path, str(key)])
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _nul_path(item, [*path, str(index)])
            if found is not None:
                return found
    return None


def describe_validation_error(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}" for error in exc.errors()
    )


def fallback_message_id(campaign_id: str, patient_id: str, run_number: int, sequence: int) -> str:
    """A step's channel fallback: one per step and patient, whichever channel it goes by, so
    a failure reported twice (a retried webhook, a redelivery) falls back once."""
    return str(
        uuid.uuid5(
            MESSAGE_ID_NAMESPACE, f"{campaign_id}/{patient_id}/{run_number}/{sequence}/fallback"
        )
    )


def message_id(campaign_id: str, patient_id: str, run_number: int, sequence: int) -> str:
    """Deterministic, so a replayed step maps to the message already stored."""
    return str(
        uuid.uuid5(MESSAGE_ID_NAMESPACE, f"{campaign_id}/{patient_id}/{run_number}/{sequence}")
    )
