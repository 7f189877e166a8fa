"""Import rows: CSV records (quoted fields across lines) and JSON lines, errors by line."""

import pytest

from audience_svc.domain.import_rows import BadImport, CsvRows, Rejected, Row, json_line, lines_of


async def chunks(*parts: bytes):
    for part in parts:
        yield part


async def test_lines_are_read_across_chunk_boundaries() -> None:
    lines = [line async for line in lines_of(chunks(b"a,b\r\n1,", b"2\n3,4", b"\n5,6"))]

    assert lines == [(1, "a,b"), (2, "1,2"), (3, "3,4"), (4, "5,6")]


def test_a_quoted_field_may_span_lines_and_keeps_its_first_line_number() -> None:
    reader = CsvRows()
    outcomes = [
        reader.feed(1, "patientId,address.line1,consents.sms"),
        reader.feed(2, 'p-1,"1 Main St'),
        reader.feed(3, 'Apt 2",yes'),
        reader.feed(4, "p-2,x,sometimes"),
    ]

    assert outcomes[:2] == [None, None]
    assert isinstance(outcomes[2], Row) and outcomes[2].line == 2
    assert outcomes[2].patient.address.line1 == "1 Main St\nApt 2"
    assert outcomes[2].patient.consents.sms is True
    assert outcomes[3] == Rejected(4, "consents.sms: expected true or false, found 'sometimes'")


def test_an_unknown_header_refuses_the_file() -> None:
    with pytest.raises(BadImport, match="unknown column"):
        CsvRows().feed(1, "patientId,favouriteColour")


def test_json_lines_name_the_bad_field() -> None:
    assert json_line(1, "") is None
    assert json_line(2, "{oops") == Rejected(
        2, "not JSON: Expecting property name enclosed in double quotes"
    )
    bad = json_line(3, '{"patientId": "p", "createdAt": "yesterday"}')
    assert isinstance(bad, Rejected) and bad.reason.startswith("createdAt:")
