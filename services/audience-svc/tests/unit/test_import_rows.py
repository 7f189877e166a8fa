"""Import rows: CSV records (quoted fields across lines) and JSON lines, errors by line."""

import pytest

from audience_svc.domain.import_rows import BadImport, CsvRows, Rejected, Row, json_line
from audience_svc.domain.import_stream import ImportReader, LineSource


def test_lines_are_read_across_chunk_boundaries() -> None:
    lines = list(LineSource([b"a,b\r\n1,", b"2\n3,4", b"\n5,6"], max_line_bytes=100))

    assert lines == ["a,b\n", "1,2\n", "3,4\n", "5,6"]


def test_a_quoted_field_may_span_lines_and_keeps_its_first_line_number() -> None:
    body = b'patientId,address.line1,consents.sms\np-1,"1 Main St\r\nApt 2",yes\np-2,x,sometimes\n'

    outcomes = list(ImportReader([body[:20], body[20:41], body[41:]]))

    assert isinstance(outcomes[0], Row) and outcomes[0].line == 2
    assert outcomes[0].patient.address.line1 == "1 Main St\nApt 2"
    assert outcomes[0].patient.consents.sms is True
    assert outcomes[1] == Rejected(4, "consents.sms: expected true or false, found 'sometimes'")


def test_an_unknown_header_refuses_the_file() -> None:
    with pytest.raises(BadImport, match="unknown column"):
        CsvRows().read(1, ["patientId", "favouriteColour"])


def test_json_lines_name_the_bad_field() -> None:
    assert json_line(1, "") is None
    assert json_line(2, "{oops") == Rejected(
        2, "not JSON: Expecting property name enclosed in double quotes"
    )
    bad = json_line(3, '{"patientId": "p", "createdAt": "yesterday"}')
    assert isinstance(bad, Rejected) and bad.reason.startswith("createdAt:")
    assert json_line(4, "[" * 30_000 + "]" * 30_000) == Rejected(4, "not JSON: nested too deeply")
