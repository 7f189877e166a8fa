"""Hypothesis over the import's reader: any bytes, and files that look like CSV or JSON lines
with hostile cells, read into rows and line-numbered rejects (or a refusal of the whole file),
never another error; every row read is a patient.upserted the bus itself would accept."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audience_svc.domain.import_rows import BadImport, Rejected, Row
from audience_svc.domain.import_stream import ImportLimits, ImportReader, TooManyRows
from reengage_common.events import Envelope, PatientUpserted, parse
from reengage_testing.hostile import import_files

LIMITS = ImportLimits(max_rows=50, max_line_bytes=2048)
SETTINGS = settings(
    max_examples=600, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)


def chunked(body: bytes, size: int) -> list[bytes]:
    return [body[n : n + size] for n in range(0, len(body), size)] or [b""]


@SETTINGS
@given(body=import_files(), size=st.integers(1, 4096), json_lines=st.booleans())
def test_any_file_reads_into_rows_and_line_numbered_rejects(
    body: bytes, size: int, json_lines: bool
) -> None:
    lines = body.count(b"\n") + 1
    try:
        outcomes = list(ImportReader(chunked(body, size), json_lines, LIMITS))
    except (BadImport, TooManyRows):
        return  # the file refused as a whole, with its reason (the API answers 400)
    numbers = [outcome.line for outcome in outcomes]
    assert numbers == sorted(numbers)
    assert all(1 <= n <= lines for n in numbers)
    for outcome in outcomes:
        if isinstance(outcome, Rejected):
            assert outcome.reason
            continue
        assert isinstance(outcome, Row)
        event = Envelope.wrap(outcome.patient, source="import", clinic_id="clinic-a")
        assert parse(event.to_json(), PatientUpserted.topic).data == outcome.patient
