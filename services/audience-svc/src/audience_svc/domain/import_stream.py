"""A patient import read as it arrives, in time linear in its size, within limits.

The file comes as chunks of bytes; lines are cut once, each byte looked at a bounded number
of times, and CSV records (a quoted field may span lines) are found by the standard library's
`csv` reader pulling those lines, never by re-reading what is pending. A record's rows go to
`import_rows`. Limits: a line (`max_line_bytes`) and a record (the same: a quoted field left
open would otherwise swallow the file) are refused with `BadImport`; past `max_rows` rows the
import stops with `TooManyRows`. The body's size is the HTTP layer's (`MAX_IMPORT_BODY_BYTES`).

No I/O here: the service runs it in a worker thread over the request's stream.
"""

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from audience_svc.domain.import_rows import BadImport, CsvRows, Rejected, Row, json_line

Outcome = Row | Rejected


@dataclass(frozen=True)
class ImportLimits:
    max_rows: int = 500_000
    max_line_bytes: int = 64 * 1024
    # Rejected rows listed in the answer (the rest are only counted) and each reason's length.
    listed_rejections: int = 100
    max_reason_chars: int = 200


class TooManyRows(ValueError):
    """The file has more rows than an import takes; rows before the limit were read."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {limit} rows: split the file")
        self.limit = limit


class LineSource:
    """Physical lines of a byte stream, each with its line end, numbered from 1.

    A partial line is kept as its pieces and joined once, when its end arrives: a long line
    sent in small chunks costs its length, not length x chunks.
    """

    def __init__(self, chunks: Iterable[bytes], max_line_bytes: int) -> None:
        self._lines = self._cut(chunks)
        self.max_line_bytes = max_line_bytes
        self.number = 0  # lines handed out so far
        self.chars = 0  # characters handed out so far (every one exactly once)
        self.record_chars = 0  # since `start_record`

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.number += 1
        self.chars += len(line)
        self.record_chars += len(line)
        if self.record_chars > self.max_line_bytes:
            # One line can only get here through a quoted field spanning lines (a line alone
            # is stopped in _cut): most likely a stray quote that never closes.
            raise BadImport(
                f"line {self.number}: a record longer than {self.max_line_bytes} bytes "
                "(a quoted field left open?)"
            )
        return line

    def start_record(self) -> None:
        self.record_chars = 0

    def _cut(self, chunks: Iterable[bytes]) -> Iterator[str]:
        pieces: list[bytes] = []
        held = 0
        for chunk in chunks:
            *complete, rest = chunk.split(b"\n")
            for end in complete:
                self._check_length(held + len(end))
                pieces.append(end)
                yield _text(b"".join(pieces)) + "\n"
                pieces, held = [], 0
            if rest:
                pieces.append(rest)
                held += len(rest)
                self._check_length(held)
        if held:
            yield _text(b"".join(pieces))

    def _check_length(self, length: int) -> None:
        if length > self.max_line_bytes:
            raise BadImport(f"line {self.number + 1}: longer than {self.max_line_bytes} bytes")


def _text(raw: bytes) -> str:
    # CRLF files read as LF ones; a line is cut at b"\n", never inside a UTF-8 character.
    return raw.decode("utf-8", errors="replace").rstrip("\r\n")


@dataclass
class ImportReader:
    """Rows and rejected rows of one import, in file order, as the chunks arrive.

    JSON lines when `json_lines` is set, or when the first line is a JSON object rather than
    a CSV header; CSV otherwise.
    """

    chunks: Iterable[bytes]
    json_lines: bool = False
    limits: ImportLimits = field(default_factory=ImportLimits)

    def __post_init__(self) -> None:
        self.lines = LineSource(self.chunks, self.limits.max_line_bytes)
        self.rows = 0

    def __iter__(self) -> Iterator[Outcome]:
        first = next((line for line in self.lines if line.strip()), None)
        if first is None:
            return
        if self.json_lines or first.lstrip().startswith("{"):
            yield from self._json(first)
        else:
            yield from self._csv(first)

    def _counted(self, outcome: Outcome) -> Outcome:
        self.rows += 1
        if self.rows > self.limits.max_rows:
            raise TooManyRows(self.limits.max_rows)
        return outcome

    def _json(self, first: str) -> Iterator[Outcome]:
        for number, text in _numbered(self.lines.number, first, self.lines):
            outcome = json_line(number, text)
            if outcome is not None:
                yield self._counted(outcome)

    def _csv(self, first: str) -> Iterator[Outcome]:
        lines = _Prepended(first, self.lines)
        records = csv.reader(lines, strict=True)
        rows = CsvRows()
        while True:
            self.lines.start_record()
            line = lines.number + 1
            try:
                cells = next(records)
            except StopIteration:
                return
            except csv.Error as exc:
                yield self._counted(Rejected(line, _csv_problem(exc)))
                continue
            if len(cells) <= 1 and not "".join(cells).strip():
                continue  # a blank line
            outcome = rows.read(line, cells)
            if outcome is not None:
                yield self._counted(outcome)


class _Prepended:
    """The line already read to tell CSV from JSON lines, then the rest; numbered alike."""

    def __init__(self, first: str, rest: LineSource) -> None:
        self._first: str | None = first
        self._rest = rest

    @property
    def number(self) -> int:
        return self._rest.number - (self._first is not None)

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        if self._first is not None:
            line, self._first = self._first, None
            return line
        return next(self._rest)


def _numbered(number: int, first: str, rest: LineSource) -> Iterator[tuple[int, str]]:
    """JSON lines: each line is its own record (the record bound is the line's)."""
    yield number, first
    rest.start_record()
    for line in rest:
        yield rest.number, line
        rest.start_record()


def _csv_problem(exc: csv.Error) -> str:
    message = str(exc)
    if "unexpected end of data" in message:
        return "unterminated quoted field"
    return f"not CSV: {message}"


@dataclass
class RejectionReport:
    """The first rejected rows with their line and reason (each shortened), and how many more."""

    limits: ImportLimits = field(default_factory=ImportLimits)
    listed: list[dict[str, int | str]] = field(default_factory=list)
    count: int = 0

    def add(self, rejected: Rejected) -> None:
        self.count += 1
        if len(self.listed) < self.limits.listed_rejections:
            self.listed.append({"line": rejected.line, "reason": self._short(rejected.reason)})

    @property
    def more(self) -> int:
        return self.count - len(self.listed)

    def _short(self, reason: str) -> str:
        # A reason may quote the row's value back (pydantic's messages, ours): never whole.
        limit = self.limits.max_reason_chars
        return reason if len(reason) <= limit else reason[: limit - 1] + "…"
