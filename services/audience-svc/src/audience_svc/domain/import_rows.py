"""Rows of a patient import (CSV or JSON lines) into `patient.upserted` data, or a clear reason.

CSV has one header row of the contract's field names, dotted for nested ones (`address.city`,
`consents.sms`, `guardian.email`); an empty cell is absent. Booleans read true/false, yes/no,
1/0. A JSON line is the event's `data` object itself. `import_stream` finds the records and
lines of the incoming file; this module turns one into a row.
"""

import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from audience_svc.domain.recall import MAX_OWN_MONTHS, MIN_OWN_MONTHS
from reengage_common.events import PatientUpserted, describe_validation_error, nul_problem

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
        "recallIntervalMonths",
    }
)  # fmt: skip
# A cell longer than this rejects its row unread: far above any patient field (their own,
# tighter lengths are the model's), it bounds what a row's validation and its echo cost.
MAX_FIELD_CHARS = 4096


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


def _patient(line: int, document: Any) -> Row | Rejected:
    if not isinstance(document, dict):
        return Rejected(line, "expected a JSON object")
    if not document.get("patientId"):
        return Rejected(line, "patientId: is required")
    problem = nul_problem(document)
    if problem is not None:  # stored, it would stop every message to the patient at dispatch
        return Rejected(line, problem)
    try:
        patient = PatientUpserted.model_validate(document)
    except ValidationError as exc:
        return Rejected(line, describe_validation_error(exc))
    months = patient.recall_interval_months
    if months is not None and not MIN_OWN_MONTHS <= months <= MAX_OWN_MONTHS:
        # An event is not refused for it (audience-svc reads it as none); a file is answered.
        bounds = f"{MIN_OWN_MONTHS} to {MAX_OWN_MONTHS}"
        return Rejected(line, f"recallIntervalMonths: must be {bounds} months, not {months}")
    return Row(line, patient)


def json_line(line: int, text: str) -> Row | Rejected | None:
    if not text.strip():
        return None
    try:
        document = json.loads(text)
    except ValueError as exc:
        return Rejected(line, f"not JSON: {exc.msg}")
    except RecursionError:  # `[[[[...` within the line limit still nests past the stack
        return Rejected(line, "not JSON: nested too deeply")
    return _patient(line, document)


class CsvRows:
    """CSV records after the header row into rows; `import_stream` finds the records."""

    def __init__(self) -> None:
        self.header: list[str] | None = None

    def read(self, line: int, cells: list[str]) -> Row | Rejected | None:
        """The row of a record's cells starting at `line`; None for the header row."""
        if self.header is None:
            self._read_header(line, cells)
            return None
        return self._row(line, cells)

    def _read_header(self, line: int, cells: list[str]) -> None:
        header = [cell.strip() for cell in cells]
        unknown = [name for name in header if name not in KNOWN_COLUMNS]
        if unknown:
            raise BadImport(f"line {line}: unknown column(s) {', '.join(unknown)}")
        if "patientId" not in header:
            raise BadImport(f"line {line}: the header needs a patientId column")
        self.header = header

    def _row(self, line: int, cells: list[str]) -> Row | Rejected:
        assert self.header is not None
        if len(cells) != len(self.header):
            return Rejected(line, f"expected {len(self.header)} cells, found {len(cells)}")
        document: dict[str, Any] = {}
        for name, cell in zip(self.header, cells, strict=True):
            if len(cell) > MAX_FIELD_CHARS:
                return Rejected(line, f"{name}: longer than {MAX_FIELD_CHARS} characters")
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
