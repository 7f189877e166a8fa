"""Rows of a patient import (CSV or JSON lines) into `patient.upserted` data, or a clear reason.

CSV has one header row of the contract's field names, dotted for nested ones (`address.city`,
`consents.sms`, `guardian.email`); an empty cell is absent. Booleans read true/false, yes/no,
1/0. A JSON line is the event's `data` object itself.
"""

import csv
import json
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from reengage_common.events import PatientUpserted, describe_validation_error

TRUE = {"true", "yes", "y", "1"}
FALSE = {"false", "no", "n", "0"}
BOOLEAN_FIELDS = {"consents.email", "consents.sms", "consents.mail", "doNotContact", "deceased"}
KNOWN_COLUMNS = frozenset(
    {
        "patientId", "firstName", "lastName", "email", "phone", "timezone", "birthDate",
        "preferredLanguage", "treatmentStage", "treatmentStatus", "doNotContact", "deceased",
        "createdAt", "address.line1", "address.line2", "address.city", "address.state",
        "address.postalCode", "address.country", "guardian.name", "guardian.email",
        "guardian.phone", "consents.email", "consents.sms", "consents.mail",
    }
)  # fmt: skip
# A line longer than this is refused rather than buffered (a file without line breaks).
MAX_LINE_BYTES = 64 * 1024


@dataclass(frozen=True)
class Rejected:
    line: int
    reason: str


@dataclass(frozen=True)
class Row:
    line: int
    patient: PatientUpserted


class BadImport(ValueError):
    """The file as a whole cannot be read (e.g. a CSV header naming unknown fields)."""


async def lines_of(chunks: AsyncIterable[bytes]) -> AsyncIterator[tuple[int, str]]:
    """Physical lines with their 1-based numbers, read chunk by chunk (never the whole file)."""
    pending = b""
    number = 0
    async for chunk in chunks:
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for raw in complete:
            number += 1
            yield number, raw.decode("utf-8", errors="replace").rstrip("\r")
        if len(pending) > MAX_LINE_BYTES:
            raise BadImport(f"line {number + 1}: longer than {MAX_LINE_BYTES} bytes")
    if pending.strip():
        yield number + 1, pending.decode("utf-8", errors="replace").rstrip("\r")


def _patient(line: int, document: Any) -> Row | Rejected:
    if not isinstance(document, dict):
        return Rejected(line, "expected a JSON object")
    if not document.get("patientId"):
        return Rejected(line, "patientId: is required")
    try:
        return Row(line, PatientUpserted.model_validate(document))
    except ValidationError as exc:
        return Rejected(line, describe_validation_error(exc))


def json_line(line: int, text: str) -> Row | Rejected | None:
    if not text.strip():
        return None
    try:
        document = json.loads(text)
    except ValueError as exc:
        return Rejected(line, f"not JSON: {exc.msg}")
    return _patient(line, document)


class CsvRows:
    """Reads CSV records (a quoted field may span lines) after the header row."""

    def __init__(self) -> None:
        self.header: list[str] | None = None
        self._buffer: list[str] = []
        self._first_line = 0

    def feed(self, line: int, text: str) -> Row | Rejected | None:
        if not self._buffer:
            self._first_line = line
        self._buffer.append(text)
        record = "\n".join(self._buffer)
        if record.count('"') % 2:  # inside a quoted field: the record goes on
            return None
        self._buffer = []
        if not record.strip():
            return None
        (cells,) = list(csv.reader([record]))
        if self.header is None:
            self._read_header(cells)
            return None
        return self._row(self._first_line, cells)

    def finish(self) -> Rejected | None:
        if self._buffer:
            return Rejected(self._first_line, "unterminated quoted field")
        return None

    def _read_header(self, cells: list[str]) -> None:
        header = [cell.strip() for cell in cells]
        unknown = [name for name in header if name not in KNOWN_COLUMNS]
        if unknown:
            raise BadImport(f"line 1: unknown column(s) {', '.join(unknown)}")
        if "patientId" not in header:
            raise BadImport("line 1: the header needs a patientId column")
        self.header = header

    def _row(self, line: int, cells: list[str]) -> Row | Rejected:
        assert self.header is not None
        if len(cells) != len(self.header):
            return Rejected(line, f"expected {len(self.header)} cells, found {len(cells)}")
        document: dict[str, Any] = {}
        for name, cell in zip(self.header, cells, strict=True):
            value = cell.strip()
            if value == "":
                continue
            if name in BOOLEAN_FIELDS:
                if value.lower() not in TRUE | FALSE:
                    return Rejected(line, f"{name}: expected true or false, found {value!r}")
                parsed: Any = value.lower() in TRUE
            else:
                parsed = value
            group, _, leaf = name.partition(".")
            if leaf:
                document.setdefault(group, {})[leaf] = parsed
            else:
                document[name] = parsed
        return _patient(line, document)
