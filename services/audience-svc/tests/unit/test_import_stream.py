"""The import's reader (issue 17 #4): linear work however long a quoted field stays open,
bounded lines, records, cells, rows and rejection lists."""

import time

import pytest

from audience_svc.domain.import_rows import MAX_FIELD_CHARS, BadImport, Rejected, Row
from audience_svc.domain.import_stream import (
    ImportLimits,
    ImportReader,
    RejectionReport,
    TooManyRows,
)

HEADER = b"patientId,firstName,createdAt\n"


def open_quote_file(lines: int) -> bytes:
    """A row whose quoted name runs over `lines` lines: the old parser re-joined and
    re-counted the whole pending record on each (0.23 / 0.80 / 4.3 s for 1k / 2k / 4k)."""
    return HEADER + b'p-1,"' + b"xy\n" * lines + b'",2019-01-01T00:00:00Z\n'


def chunked(body: bytes, size: int = 4096) -> list[bytes]:
    return [body[n : n + size] for n in range(0, len(body), size)]


@pytest.mark.parametrize("lines", [2_000, 8_000])
def test_an_open_quoted_field_is_read_once_however_many_lines_it_spans(lines: int) -> None:
    body = open_quote_file(lines)
    reader = ImportReader(chunked(body))

    started = time.perf_counter()
    outcomes = list(reader)
    took = time.perf_counter() - started

    print(f"{lines} open-quote lines parsed in {took * 1000:.1f} ms")
    # one record from line 2 (its 3 x `lines` characters of name pass the field limit)
    assert outcomes == [Rejected(2, f"firstName: longer than {MAX_FIELD_CHARS} characters")]
    # Linear by count: every character of the file was handed to the parser exactly once
    # (the old parser handed the pending record again with each line: ~lines^2 / 2 of them).
    assert reader.lines.chars == len(body)
    assert reader.lines.number == lines + 2


def test_a_quoted_field_never_closed_stops_at_the_record_limit() -> None:
    body = HEADER + b'p-1,"' + b"x" * 50 + b"\n" + b"more text\n" * 10_000
    limits = ImportLimits(max_line_bytes=1024)

    with pytest.raises(BadImport, match="a record longer than 1024 bytes"):
        list(ImportReader(chunked(body), limits=limits))


def test_a_line_past_the_limit_is_refused_unbuffered_however_it_is_chunked() -> None:
    long_line = b"p-1," + b"y" * 5000 + b"\n"
    for chunks in (chunked(HEADER + long_line, 1), [HEADER + long_line]):
        with pytest.raises(BadImport, match="line 2: longer than 1024 bytes"):
            list(ImportReader(chunks, limits=ImportLimits(max_line_bytes=1024)))


def test_an_unterminated_quote_at_the_end_is_a_rejected_row() -> None:
    outcomes = list(ImportReader([HEADER + b"p-1,Ada,2019-01-01T00:00:00Z\n" + b'p-2,"Bo\n']))

    assert isinstance(outcomes[0], Row)
    assert outcomes[1] == Rejected(3, "unterminated quoted field")


def test_a_cell_past_the_field_limit_rejects_its_row_without_echoing_it() -> None:
    body = HEADER + b"p-1," + b"z" * (MAX_FIELD_CHARS + 1) + b",2019-01-01T00:00:00Z\n"

    (outcome,) = ImportReader([body], limits=ImportLimits(max_line_bytes=64 * 1024))

    assert outcome == Rejected(2, f"firstName: longer than {MAX_FIELD_CHARS} characters")


def test_rows_past_the_row_limit_stop_the_import() -> None:
    body = HEADER + b"".join(b"p-%d,A,2019-01-01T00:00:00Z\n" % n for n in range(10))
    reader = iter(ImportReader([body], limits=ImportLimits(max_rows=4)))

    read = [next(reader) for _ in range(4)]
    with pytest.raises(TooManyRows, match="more than 4 rows"):
        next(reader)
    assert [row.line for row in read] == [2, 3, 4, 5]


def test_json_lines_are_told_from_csv_by_the_first_line_and_numbered() -> None:
    body = b'\n{"patientId": "j-1"}\n\n{oops\n{"patientId": "j-2"}'

    outcomes = list(ImportReader(chunked(body, 7)))

    assert [(type(o).__name__, o.line) for o in outcomes] == [
        ("Row", 2),
        ("Rejected", 4),
        ("Row", 5),
    ]


def test_json_lines_are_each_their_own_record() -> None:
    body = b"".join(b'{"patientId": "j-%d"}\n' % n for n in range(100))

    outcomes = list(ImportReader([body], json_lines=True, limits=ImportLimits(max_line_bytes=64)))

    assert len(outcomes) == 100 and all(isinstance(o, Row) for o in outcomes)


def test_only_the_first_rejections_are_listed_each_reason_shortened() -> None:
    report = RejectionReport(ImportLimits(listed_rejections=3, max_reason_chars=20))

    for line in range(1, 11):
        report.add(Rejected(line, "firstName: " + "w" * 1000))

    assert report.count == 10 and report.more == 7
    assert [row["line"] for row in report.listed] == [1, 2, 3]
    assert report.listed[0]["reason"] == "firstName: wwwwwwww…"
