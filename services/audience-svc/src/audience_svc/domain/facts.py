"""A patient's projection as a fold of facts, and the compact targeting row derived from it.

Facts come from `patient.upserted`, `appointment.updated`, `message.sent`,
`recipient.responded`, import rows and our own fan-outs. The fold is a join: every field is
last-writer-wins by the event's own time (ties broken by event id), a maximum, or a union.
So applying facts in any order, or twice, ends in the same state — out-of-order and
redelivered events change nothing, and a compaction may fold any subset of pending facts.

A state is a JSON-ready dict (it is stored compressed, see `projection`):
    {"id": patient id, "p": profile (PatientUpserted, camelCase) | None, "pt": [time, event id],
     "a": {appointment id: [time, event id, status, scheduledAt epoch]},
     "c": last contacted (epoch) | None, "g": {campaign id: last targeted (epoch)},
     "u": {channel or "ALL": unsubscribed at (epoch)}}
"""

from datetime import UTC, date, datetime
from typing import Any

from audience_svc.domain.recall import recall_due
from reengage_common.events import (
    AppointmentUpdated,
    Envelope,
    MessageSent,
    PatientUpserted,
    RecipientResponded,
    ResponseKind,
    SendOutcome,
)

Fact = dict[str, Any]
State = dict[str, Any]

EMAIL, SMS, MAIL = 1, 2, 4
CHANNEL_BITS = {"EMAIL": EMAIL, "SMS": SMS, "MAIL": MAIL}
ALL_CHANNELS = EMAIL | SMS | MAIL
ADULT_AGE = 18
# Responses after which a channel is never used again for the patient.
BLOCKING_RESPONSES = {ResponseKind.UNSUBSCRIBED, ResponseKind.BOUNCED}


def epoch(moment: datetime) -> float:
    return moment.timestamp()


def fact_of(envelope: Envelope[Any]) -> Fact | None:
    """The fact an inbound event states, or None when it changes nothing we project."""
    data, at, event_id = envelope.data, epoch(envelope.time), envelope.id
    if isinstance(data, PatientUpserted):
        profile = data.model_dump(mode="json", by_alias=True, exclude={"patient_id"})
        return {"k": "p", "pid": data.patient_id, "t": at, "i": event_id, "d": profile}
    if isinstance(data, AppointmentUpdated):
        return {
            "k": "a",
            "pid": data.patient_id,
            "t": at,
            "i": event_id,
            "ap": data.appointment_id,
            "st": data.status.value,
            "s": epoch(data.scheduled_at),
        }
    if isinstance(data, MessageSent):
        if data.outcome is not SendOutcome.SENT:
            return None
        return {"k": "s", "pid": data.patient_id, "t": epoch(data.at), "c": data.campaign_id}
    if isinstance(data, RecipientResponded):
        if data.kind not in BLOCKING_RESPONSES:
            return None
        channel = data.channel.value if data.channel else "ALL"
        return {"k": "u", "pid": data.patient_id, "t": epoch(data.at), "ch": channel}
    return None


def new_state(patient_id: str) -> State:
    return {"id": patient_id, "p": None, "pt": None, "a": {}, "c": None, "g": {}, "u": {}}


def _newer(stamp: list[Any] | None, at: float, event_id: str) -> bool:
    return stamp is None or (at, event_id) > (stamp[0], stamp[1])


def apply(state: State, fact: Fact) -> None:
    """Fold one fact into `state` (in place); commutative and idempotent."""
    kind, at = fact["k"], fact["t"]
    if kind == "p":
        if _newer(state["pt"], at, fact["i"]):
            state["p"], state["pt"] = fact["d"], [at, fact["i"]]
    elif kind == "a":
        held = state["a"].get(fact["ap"])
        if _newer(held, at, fact["i"]):
            state["a"][fact["ap"]] = [at, fact["i"], fact["st"], fact["s"]]
    elif kind in ("s", "g"):
        campaigns = state["g"]
        campaigns[fact["c"]] = max(campaigns.get(fact["c"], at), at)
        if kind == "s":
            state["c"] = at if state["c"] is None else max(state["c"], at)
    elif kind == "u":
        blocked = state["u"]
        blocked[fact["ch"]] = min(blocked.get(fact["ch"], at), at)


# Facts that change only when a patient was contacted or targeted: a row takes them as they
# come (`with_contacts`), without the patient's state.
CONTACT_KINDS = frozenset({"s", "g"})


def is_contact(fact: Fact) -> bool:
    return fact["k"] in CONTACT_KINDS


def fold(states: dict[str, State], facts: list[Fact]) -> set[str]:
    """Apply `facts` to `states` (creating states as needed); the patient ids touched."""
    touched: set[str] = set()
    for fact in facts:
        for patient_id in fact.get("pids") or [fact["pid"]]:
            state = states.get(patient_id)
            if state is None:
                state = states[patient_id] = new_state(patient_id)
            apply(state, fact)
            touched.add(patient_id)
    return touched


# --- the compact row targeting reads -------------------------------------------------------------

# Positions in a row (a list, so a clinic's rows are small and quick to decode).
(
    R_ID,
    R_ANCHOR,
    R_VISITED,
    R_BOOKED,
    R_STAGE,
    R_DROPOUT,
    R_NO_SHOW,
    R_DNC,
    R_DECEASED,
    R_CONTACTED,
    R_TARGETED,
    R_REACH_ADULT,
    R_REACH_MINOR,
    R_ADULT_FROM,
    R_UNSUBSCRIBED,
    R_GAPS,
    R_RECALL_DUE,
) = range(17)

# The patient merge fields a record may lack, a bit each in a row's R_GAPS: an estimate counts
# who would get a fallback for each field in the pass it makes anyway.
PATIENT_FIELD_BITS: dict[str, int] = {
    "patient.firstName": 1,
    "patient.lastName": 2,
    "patient.lastVisitDate": 4,
    "patient.treatmentStage": 8,
}


def targeting_row(state: State) -> list[Any] | None:
    """What every targeting rule needs about one patient; None until the patient is known."""
    profile = state["p"]
    if profile is None:
        return None
    appointments = state["a"].values()
    completed = [s for _, _, status, s in appointments if status == "COMPLETED"]
    booked = [s for _, _, status, s in appointments if status == "BOOKED"]
    attended = sorted(
        (s, status) for _, _, status, s in appointments if status in ("COMPLETED", "NO_SHOW")
    )
    created = _moment(profile.get("createdAt"))
    anchor = max(completed) if completed else (created or state["pt"][0])
    unsubscribed = _unsubscribed_mask(state["u"])
    return [
        state["id"],
        anchor,
        bool(completed),
        max(booked) if booked else None,
        profile.get("treatmentStage"),
        profile.get("treatmentStatus") == "DISCONTINUED",
        bool(attended) and attended[-1][1] == "NO_SHOW",
        bool(profile.get("doNotContact")),
        bool(profile.get("deceased")),
        state["c"],
        state["g"],
        reach_mask(profile, minor=False) & ~unsubscribed,
        reach_mask(profile, minor=True) & ~unsubscribed,
        adult_from(profile.get("birthDate")),
        unsubscribed,
        merge_gaps(profile, visited=bool(completed)),
        recall_due(anchor, profile.get("recallIntervalMonths"), profile.get("treatmentStage")),
    ]


def with_contacts(row: tuple[Any, ...] | list[Any], facts: list[Fact]) -> list[Any]:
    """A copy of a patient's targeting row with contact facts applied, exactly as `apply`
    then `targeting_row` would make it from the patient's state."""
    patched = list(row)
    campaigns = dict(patched[R_TARGETED])
    contacted = patched[R_CONTACTED]
    for fact in facts:
        at = fact["t"]
        campaigns[fact["c"]] = max(campaigns.get(fact["c"], at), at)
        if fact["k"] == "s":
            contacted = at if contacted is None else max(contacted, at)
    patched[R_TARGETED], patched[R_CONTACTED] = campaigns, contacted
    return patched


def _lacks(value: Any) -> bool:
    # As templates see it: None or blank text is missing.
    return not (isinstance(value, str) and value.strip())


def merge_gaps(profile: dict[str, Any], *, visited: bool) -> int:
    """The PATIENT_FIELD_BITS of the merge fields this patient's messages would lack."""
    gaps = 0
    for name in ("firstName", "lastName", "treatmentStage"):
        if _lacks(profile.get(name)):
            gaps |= PATIENT_FIELD_BITS[f"patient.{name}"]
    return gaps if visited else gaps | PATIENT_FIELD_BITS["patient.lastVisitDate"]


def reachable_mask(state: State, *, minor: bool) -> int:
    """The channels a message may reach the patient by now: contact and consent on file,
    not opted out or bounced, and never a do-not-contact or deceased patient."""
    profile = state["p"] or {}
    if profile.get("doNotContact") or profile.get("deceased"):
        return 0
    return reach_mask(profile, minor=minor) & ~_unsubscribed_mask(state["u"])


def _unsubscribed_mask(blocked: dict[str, float]) -> int:
    if "ALL" in blocked:
        return ALL_CHANNELS
    return sum(CHANNEL_BITS[channel] for channel in blocked if channel in CHANNEL_BITS)


def _moment(raw: str | None) -> float | None:
    if not raw:
        return None
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def adult_from(birth_date: str | None) -> float | None:
    """When the patient turns 18 (epoch); None when the birth date is unknown (an adult)."""
    if not birth_date:
        return None
    try:
        born = date.fromisoformat(birth_date[:10])
    except ValueError:
        return None
    if born.year + ADULT_AGE > date.max.year:  # past the calendar: a minor for all we know
        return datetime.max.replace(tzinfo=UTC).timestamp()
    try:
        eighteenth = born.replace(year=born.year + ADULT_AGE)
    except ValueError:  # born on 29 February
        eighteenth = date(born.year + ADULT_AGE, 3, 1)
    return datetime(eighteenth.year, eighteenth.month, eighteenth.day, tzinfo=UTC).timestamp()


def is_minor(row_or_adult_from: float | None, now: float) -> bool:
    return row_or_adult_from is not None and now < row_or_adult_from


def contact_source(profile: dict[str, Any], *, minor: bool) -> dict[str, Any]:
    """Whose email and phone a message uses: the guardian's for a minor (never the child's)."""
    if minor:
        return profile.get("guardian") or {}
    return profile


def has_address(profile: dict[str, Any]) -> bool:
    address = profile.get("address") or {}
    return bool(address.get("line1") and (address.get("postalCode") or address.get("city")))


def reach_mask(profile: dict[str, Any], *, minor: bool) -> int:
    """The channels with both the contact and the consent: SMS needs an explicit yes; email and
    mail are allowed unless refused."""
    consents = profile.get("consents") or {}
    source = contact_source(profile, minor=minor)
    mask = 0
    if source.get("email") and consents.get("email") is not False:
        mask |= EMAIL
    if source.get("phone") and consents.get("sms") is True:
        mask |= SMS
    if has_address(profile) and consents.get("mail") is not False:
        mask |= MAIL
    return mask
