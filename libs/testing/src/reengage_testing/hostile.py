"""Hypothesis strategies for the bus's bad input: events of the contract whose every value is as
hostile as the model still allows, and bytes on a topic that are no event of it.

`valid_envelope(model)` draws the JSON of an envelope that `reengage_common.events.parse`
accepts: any text the field's bounds allow (control characters, `$` and `.`, right-to-left
marks, template syntax, dates near year 9999), any 64-bit integer, any time of the contract's
calendar at any offset, dictionaries with keys MongoDB refuses. `malformed_envelope(model)` draws bytes it must refuse:
not JSON, not an object, a wrong or missing type, a field missing or of the wrong kind, a time
or an integer out of range, a NUL character.
"""

import json
import types
import typing
from datetime import UTC, date, datetime, timedelta, timezone
from enum import Enum
from typing import Any

from annotated_types import MaxLen
from hypothesis import strategies as st
from pydantic import AwareDatetime, BaseModel
from pydantic.fields import FieldInfo

from reengage_common.events import Event, PatientUpserted

HOSTILE_TEXT = [
    "",
    " ",
    "$where",
    "a.b",
    "$",
    "\x01\x1b[31m\x7f",
    "\u202eevil",
    "{{ 7 * 7 }}",
    "{% for x in () %}",
    "<script>alert(1)</script>",
    "'; DROP TABLE patients; --",
    "\r\nBcc: victim@example.com",
    "🦷" * 20,
    "ﷺ",
]


def text(max_size: int | None = None) -> st.SearchStrategy[str]:
    drawn = st.one_of(
        st.sampled_from(HOSTILE_TEXT),
        st.text(max_size=40),
        st.text(max_size=300),
        # text a field may parse: dates (birth dates near year 9999), times, numbers
        st.dates().map(date.isoformat),
        st.dates(min_value=date(9900, 1, 1)).map(date.isoformat),  # the calendar's edge
        moments(),
        st.integers().map(str),
    )
    # NUL is no text of the contract (PostgreSQL, under FerretDB, cannot store it)
    drawn = drawn.map(lambda value: value.replace("\x00", ""))
    if max_size is None:
        return drawn
    return drawn.map(lambda value: value[:max_size])


def moments() -> st.SearchStrategy[str]:
    """RFC 3339 times with any offset, across the contract's calendar (1800-3000 UTC)."""
    offsets = st.integers(-(23 * 60 + 59), 23 * 60 + 59).map(
        lambda minutes: timezone(timedelta(minutes=minutes))
    )
    near = st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
    )
    anywhere = st.datetimes(
        min_value=datetime(1800, 1, 2), max_value=datetime(2999, 12, 30), timezones=offsets
    )
    return st.one_of(near, anywhere).map(lambda moment: moment.isoformat())


def integers() -> st.SearchStrategy[int]:
    return st.one_of(
        st.integers(-5, 100),
        st.integers(-(2**63), 2**63 - 1),
        st.sampled_from([2**63 - 1, -(2**63)]),
    )


def json_values() -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        text(),
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(text(), inner, max_size=3)
        ),
        max_leaves=6,
    )


def _bound(info: FieldInfo | None, annotation: Any) -> int | None:
    metadata = list(info.metadata if info else [])
    if typing.get_origin(annotation) is typing.Annotated:
        metadata += list(typing.get_args(annotation)[1:])
    for item in metadata:
        if isinstance(item, MaxLen):
            return item.max_length
        if isinstance(item, FieldInfo):
            found = _bound(item, None)
            if found is not None:
                return found
    return None


def value_of(annotation: Any, info: FieldInfo | None = None) -> st.SearchStrategy[Any]:
    """Any JSON value of the type `annotation` that the contract accepts."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        base = args[0]
        if base is datetime:  # AwareDatetime
            return moments()
        if base is str:
            return text(_bound(info, annotation))
        return value_of(base, info)
    if origin in (typing.Union, types.UnionType):
        return st.one_of(*(value_of(arg, info) for arg in args))
    if origin is typing.Literal:
        return st.sampled_from(args)
    if origin is list:
        return st.lists(value_of(args[0]), max_size=4)
    if origin is dict:
        return st.dictionaries(text(), value_of(args[1]), max_size=4)
    if annotation is type(None):
        return st.none()
    if annotation is str:
        return text(_bound(info, annotation))
    if annotation is bool:
        return st.booleans()
    if annotation is int:
        return integers()
    if annotation is float:
        return st.one_of(integers(), st.floats(allow_nan=False, allow_infinity=False))
    if annotation in (datetime, AwareDatetime):
        return moments()
    if annotation is date:
        return st.dates().map(date.isoformat)
    if annotation is Any:
        return json_values()
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return st.sampled_from([member.value for member in annotation])
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return data_of(annotation)
    raise NotImplementedError(f"no strategy for {annotation!r}")


def data_of(model: type[BaseModel]) -> st.SearchStrategy[dict[str, Any]]:
    """A wire document of `model` (camelCase keys): required fields always, optional ones
    sometimes, and now and then a field the contract does not know (ignored)."""
    required: dict[str, st.SearchStrategy[Any]] = {}
    optional: dict[str, st.SearchStrategy[Any]] = {}
    for name, info in model.model_fields.items():
        wire = info.alias or name
        strategy = value_of(info.annotation, info)
        (required if info.is_required() else optional)[wire] = strategy
    unknown = st.dictionaries(st.sampled_from(["extra", "$set", "x.y"]), json_values(), max_size=1)
    return st.builds(
        lambda fixed, more, extra: {**extra, **fixed, **more},
        st.fixed_dictionaries(required, optional=optional),
        st.just({}),
        unknown,
    )


def envelope_document(model: type[Event], data: Any = None) -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries(
        {
            "id": st.uuids().map(str),
            "type": st.just(model.topic),
            "version": st.just(1),
            "source": text(40),
            "time": moments(),
            "clinicId": st.sampled_from(["clinic-a", "clinic-b"]),
            "traceId": st.one_of(st.none(), st.uuids().map(lambda u: u.hex)),
            "data": data if data is not None else data_of(model),
        }
    )


def valid_envelope(model: type[Event]) -> st.SearchStrategy[bytes]:
    return envelope_document(model).map(lambda document: json.dumps(document).encode())


def malformed_envelope(model: type[Event]) -> st.SearchStrategy[bytes]:
    """Bytes on `model`'s topic that are no event of the contract."""
    documents = envelope_document(model)

    def broken(document: dict[str, Any], how: int, pick: int, junk: Any) -> bytes:
        data = document["data"]
        if how == 0:  # a required field of the data missing
            required = [f.alias or n for n, f in model.model_fields.items() if f.is_required()]
            data.pop(required[pick % len(required)], None)
        elif how == 1:  # a required field of the wrong kind (no field takes a list of lists)
            required = [f.alias or n for n, f in model.model_fields.items() if f.is_required()]
            data[required[pick % len(required)]] = [[]]
        elif how == 2:  # an envelope field missing
            document.pop(["id", "type", "source", "time", "clinicId", "data"][pick % 6])
        elif how == 3:  # another topic's type
            document["type"] = "patient.upserted" if model.topic != "patient.upserted" else "x"
        elif how == 4:  # data of the wrong kind
            document["data"] = junk
        elif how == 5:  # a time without an offset
            document["time"] = "2026-01-01T10:00:00"
        elif how == 7:  # a time past the calendar, or an integer past 64 bits
            document["time"] = ["0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00-12:00"][pick % 2]
        elif how == 8:
            document["version"] = 2**64 if pick % 2 else -(2**63) - 1
        elif how == 9:  # a NUL character in a text
            document["source"] = "pms\x00"
        raw = json.dumps(document).encode()
        if how == 6:  # cut short
            return raw[: pick % max(len(raw) - 1, 1)]
        return raw

    structured = st.builds(broken, documents, st.integers(0, 9), st.integers(0, 50), json_values())
    garbage = st.one_of(
        st.binary(max_size=200),
        st.sampled_from([b"", b"null", b"[]", b"\xff\xfe", b'"text"', b"{}", b"1e999999"]),
        json_values().map(lambda v: json.dumps(v).encode()),
    )
    return st.one_of(structured, garbage)


# --- patient import files -------------------------------------------------------------------
IMPORT_COLUMNS = [
    "patientId", "firstName", "lastName", "email", "phone", "timezone", "birthDate",
    "treatmentStage", "doNotContact", "createdAt", "address.line1", "address.city",
    "guardian.email", "consents.sms", "consents.email",
]  # fmt: skip


def cell() -> st.SearchStrategy[str]:
    return st.one_of(text(60), st.sampled_from(["yes", "0", "", '"', "\x00", "\r", "a\nb"]))


@st.composite
def csv_files(draw) -> bytes:
    columns = draw(st.lists(st.sampled_from(IMPORT_COLUMNS), min_size=1, max_size=6))
    if draw(st.booleans()):
        columns = ["patientId", *columns]
    width = len(columns)
    row = st.one_of(
        st.lists(cell(), min_size=width, max_size=width),  # mostly as wide as the header
        st.lists(cell(), min_size=width, max_size=width),
        st.lists(cell(), max_size=8),
    )
    rows = draw(st.lists(row, max_size=6))

    def quoted(value: str) -> str:
        return '"' + value.replace('"', '""') + '"' if draw(st.booleans()) else value

    lines = [",".join(columns)] + [",".join(quoted(c) for c in row) for row in rows]
    end = draw(st.sampled_from(["\n", "\r\n"]))
    return end.join(lines).encode("utf-8", errors="surrogatepass")


@st.composite
def json_line_files(draw) -> bytes:
    lines = draw(
        st.lists(
            st.one_of(
                data_of(PatientUpserted).map(json.dumps),
                st.dictionaries(text(20), text(20), max_size=3).map(json.dumps),
                text(80),
                st.just("[" * 3000),
            ),
            max_size=6,
        )
    )
    return "\n".join(lines).encode()


def import_files() -> st.SearchStrategy[bytes]:
    """Any bytes, CSV files of the import's columns, JSON lines: each with hostile cells."""
    return st.one_of(st.binary(max_size=3000), csv_files(), json_line_files())
