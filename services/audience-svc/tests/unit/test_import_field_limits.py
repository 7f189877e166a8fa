"""An imported patient's fields have natural lengths (issue 17 #3): each may be merged into
every message, so a row with a 64 kB name is rejected by name, not stored."""

import json

from audience_svc.domain.import_rows import Rejected, Row, json_line


def test_a_row_with_a_name_past_100_characters_is_rejected_naming_the_field() -> None:
    line = json.dumps({"patientId": "p-1", "firstName": "x" * 65_000, "lastName": "Lovelace"})

    outcome = json_line(7, line)

    assert isinstance(outcome, Rejected)
    assert outcome.line == 7
    assert outcome.reason == "firstName: String should have at most 100 characters"


def test_a_row_with_an_overlong_address_line_or_guardian_email_is_rejected() -> None:
    long_line = {"patientId": "p-1", "address": {"line1": "1 Main St " * 30}}
    long_guardian = {"patientId": "p-2", "guardian": {"email": "g" * 250 + "@x.example"}}

    first, second = json_line(1, json.dumps(long_line)), json_line(2, json.dumps(long_guardian))

    assert isinstance(first, Rejected) and first.reason.startswith("address.line1:")
    assert isinstance(second, Rejected) and second.reason.startswith("guardian.email:")


def test_fields_at_their_natural_lengths_are_imported() -> None:
    row = {"patientId": "p-1", "firstName": "A" * 100, "phone": "+1 (312) 555-0100"}

    outcome = json_line(1, json.dumps(row))

    assert isinstance(outcome, Row)
    assert outcome.patient.first_name == "A" * 100
