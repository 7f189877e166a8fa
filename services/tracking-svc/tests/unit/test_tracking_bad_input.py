"""A read's bad parameters: each names its field and a `TrackingErrorCode`."""

import pytest

from tracking_svc.api import MAX_PAGE, page_size
from tracking_svc.reads import BadInput, check_status, decode_cursor, encode_cursor


def code_of(error: pytest.ExceptionInfo[BadInput]) -> tuple[str, str]:
    return error.value.field, error.value.code


def test_a_cursor_this_api_did_not_give_out_is_a_bad_cursor() -> None:
    with pytest.raises(BadInput) as caught:
        decode_cursor("not a cursor")

    assert code_of(caught) == ("after", "BAD_CURSOR")
    assert decode_cursor(encode_cursor("p-1")) == "p-1"


def test_an_unknown_status_is_not_one_of_the_statuses() -> None:
    with pytest.raises(BadInput) as caught:
        check_status("LOST")

    assert code_of(caught) == ("status", "NOT_ONE_OF")
    assert check_status("REBOOKED") == "REBOOKED" and check_status("") is None


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("ten", "INVALID_TYPE"),
        ("-1", "INVALID_TYPE"),
        ("0", "OUT_OF_RANGE"),
        ("101", "OUT_OF_RANGE"),
    ],
)
def test_a_page_size_that_is_not_a_whole_number_or_past_the_bounds_is_refused(
    raw: str, code: str
) -> None:
    with pytest.raises(BadInput) as caught:
        page_size(raw)

    assert code_of(caught) == ("first", code)
    assert (page_size(None), page_size(str(MAX_PAGE))) == (20, MAX_PAGE)
