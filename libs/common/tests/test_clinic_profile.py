"""The clinic profile's rules, pure: each bad field named with its code, the window never
wider than the law's, and what each channel needs."""

from datetime import time
from typing import Any

import pytest

from reengage_common.clinic import (
    InvalidProfile,
    ProfileErrorCode,
    channel_gaps,
    merge_data,
    one_line_address,
    parse_profile,
    postal_lines,
    sending_hours,
)
from reengage_common.events import Address, Channel, ClinicProfile, QuietHours
from reengage_testing import COMPLETE_CLINIC_PROFILE


def errors_of(**changes: Any) -> dict[str, ProfileErrorCode]:
    with pytest.raises(InvalidProfile) as refused:
        parse_profile({**COMPLETE_CLINIC_PROFILE, **changes})
    return {error.field: error.code for error in refused.value.errors}


def test_a_complete_profile_is_accepted_with_the_legal_window_by_default() -> None:
    profile = parse_profile(COMPLETE_CLINIC_PROFILE)

    assert profile.quiet_hours == QuietHours(start="08:00", end="21:00")
    assert profile.model_dump(mode="json", by_alias=True)["emailFrom"] == (
        "Bright Smiles Dental <hello@brightsmiles.example>"
    )


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"name": "  "}, {"name": ProfileErrorCode.REQUIRED}),
        ({"name": None}, {"name": ProfileErrorCode.INVALID_TYPE}),
        ({"name": "x" * 201}, {"name": ProfileErrorCode.TOO_LONG}),
        ({"phone": "call us"}, {"phone": ProfileErrorCode.INVALID_PHONE}),
        ({"email": "hello@"}, {"email": ProfileErrorCode.INVALID_EMAIL}),
        ({"timezone": "Mars/Olympus"}, {"timezone": ProfileErrorCode.INVALID_TIME_ZONE}),
        ({"timezone": "localtime"}, {"timezone": ProfileErrorCode.INVALID_TIME_ZONE}),
        (
            {"bookingUrl": "http://brightsmiles.example/book"},
            {"bookingUrl": ProfileErrorCode.NOT_HTTPS},
        ),
        ({"bookingUrl": "javascript:alert(1)"}, {"bookingUrl": ProfileErrorCode.NOT_HTTPS}),
        ({"website": "https://"}, {"website": ProfileErrorCode.NOT_HTTPS}),
        (
            {"emailFrom": "hello@brightsmiles.example"},
            {"emailFrom": ProfileErrorCode.INVALID_EMAIL},
        ),
        (
            {"emailFrom": "Bright Smiles <not-an-address>"},
            {"emailFrom": ProfileErrorCode.INVALID_EMAIL},
        ),
        ({"smsFrom": "(312) 555-0100"}, {"smsFrom": ProfileErrorCode.NOT_E164}),
        ({"smsFrom": "+1555"}, {"smsFrom": ProfileErrorCode.NOT_E164}),
        (
            {"address": {"line1": "100 Main Street", "country": "USA"}},
            {
                "address.city": ProfileErrorCode.REQUIRED,
                "address.postalCode": ProfileErrorCode.REQUIRED,
                "address.country": ProfileErrorCode.INVALID,
            },
        ),
        (
            {"address": "100 Main"},
            {
                "address.city": ProfileErrorCode.REQUIRED,
                "address.postalCode": ProfileErrorCode.REQUIRED,
                "address.country": ProfileErrorCode.REQUIRED,
            },
        ),
        (
            {"quietHours": {"start": "07:30"}},
            {"quietHours.start": ProfileErrorCode.OUTSIDE_LEGAL_HOURS},
        ),
        (
            {"quietHours": {"end": "21:30"}},
            {"quietHours.end": ProfileErrorCode.OUTSIDE_LEGAL_HOURS},
        ),
        ({"quietHours": {"start": "9am"}}, {"quietHours.start": ProfileErrorCode.INVALID_TIME}),
        # a time with a zone ("1230Z", which fromisoformat reads) was compared with the legal
        # window: a 500, found while stating HH:MM as the document's pattern
        ({"quietHours": {"start": "1230Z"}}, {"quietHours.start": ProfileErrorCode.INVALID_TIME}),
        # the document's pattern is ^https:// (urlsplit alone reads HTTPS:// as https too)
        ({"website": "HTTPS://brightsmiles.example"}, {"website": ProfileErrorCode.NOT_HTTPS}),
        (
            {"quietHours": {"start": "18:00", "end": "09:00"}},
            {"quietHours": ProfileErrorCode.EMPTY_WINDOW},
        ),
        ({"quietHours": "all day"}, {"quietHours": ProfileErrorCode.INVALID_TYPE}),
    ],
)
def test_each_bad_field_is_named_with_its_code(
    changes: dict[str, Any], expected: dict[str, ProfileErrorCode]
) -> None:
    assert errors_of(**changes) == expected


def test_every_bad_field_is_named_at_once() -> None:
    problems = errors_of(timezone="Nowhere", smsFrom="123", bookingUrl="ftp://x")

    assert set(problems) == {"timezone", "smsFrom", "bookingUrl"}


def test_a_missing_required_field_is_named() -> None:
    without = {k: v for k, v in COMPLETE_CLINIC_PROFILE.items() if k not in {"name", "timezone"}}
    with pytest.raises(InvalidProfile) as refused:
        parse_profile(without)

    assert {(e.field, e.code) for e in refused.value.errors} == {
        ("name", ProfileErrorCode.REQUIRED),
        ("timezone", ProfileErrorCode.REQUIRED),
    }


def test_a_local_phone_number_is_read_in_the_clinics_country() -> None:
    profile = parse_profile({**COMPLETE_CLINIC_PROFILE, "phone": "+44 20 7946 0958"})

    assert profile.phone == "+44 20 7946 0958"


def test_what_each_channel_needs_from_the_profile() -> None:
    complete = parse_profile(COMPLETE_CLINIC_PROFILE)
    bare = ClinicProfile(name="New Clinic", timezone="UTC")

    assert channel_gaps(complete, list(Channel)) == []
    assert channel_gaps(bare, [Channel.EMAIL]) == ["address", "emailFrom"]
    assert channel_gaps(bare, [Channel.SMS]) == ["smsFrom"]
    assert channel_gaps(bare, [Channel.MAIL]) == ["address"]
    assert channel_gaps(None, [Channel.SMS, Channel.MAIL]) == ["smsFrom", "address"]
    # an address that cannot go on an envelope is no address
    half = complete.model_copy(update={"address": Address(line1="100 Main Street")})
    assert channel_gaps(half, [Channel.MAIL]) == ["address"]


def test_the_address_reads_as_an_envelope_and_as_one_line() -> None:
    address = parse_profile(COMPLETE_CLINIC_PROFILE).address

    assert postal_lines(address) == ["100 Main Street", "Springfield, IL 62701", "US"]
    assert one_line_address(address) == "100 Main Street, Springfield, IL 62701, US"
    assert merge_data(parse_profile(COMPLETE_CLINIC_PROFILE))["address"] == one_line_address(
        address
    )


def test_the_sending_window_is_the_clinics_but_never_wider_than_the_law() -> None:
    assert sending_hours(None) == (time(8), time(21))
    assert sending_hours(QuietHours(start="09:30", end="18:00")) == (time(9, 30), time(18))
    # a snapshot is not trusted blindly: 06:00-23:00 is held to 08:00-21:00
    assert sending_hours(QuietHours(start="06:00", end="23:00")) == (time(8), time(21))
    assert sending_hours(QuietHours(start="nonsense", end="20:00")) == (time(8), time(20))


def test_a_snapshot_from_before_profiles_is_still_read() -> None:
    legacy = {"name": "Old", "address": "100 Main Street, Springfield", "timezone": "UTC"}

    profile = ClinicProfile.model_validate(legacy)

    assert profile.address is not None and profile.address.line1 == "100 Main Street, Springfield"
    assert profile.email_from is None and profile.quiet_hours == QuietHours()
