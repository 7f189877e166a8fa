"""The rules of a clinic profile, and how its parts read in messages (pure, no I/O).

The shape is `events.ClinicProfile` (one model: the API's resource and the launch snapshot).
campaign-svc checks `profile_errors` before it stores a profile and `channel_gaps` before a
launch; dispatch and tracking read the snapshot through the helpers below.
"""

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import time
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from pydantic import ValidationError
from pydantic.alias_generators import to_camel

from reengage_common.error_codes import ProfileErrorCode, field_problems
from reengage_common.events import HH_MM, Address, Channel, ClinicProfile, QuietHours

# The hours the law allows outreach; a clinic may narrow them, never widen them.
LEGAL_START, LEGAL_END = time(8, 0), time(21, 0)
NAME_MAX_LENGTH = 200
# "localtime" resolves to whatever zone the server runs in, which no clinic means.
_NOT_CLINIC_ZONES = frozenset({"localtime", "posixrules", "Factory"})
# The profile fields (camelCase) a channel cannot go without: email must carry the clinic's
# postal address and a sender; SMS a sender number; mail a return address.
CHANNEL_NEEDS: dict[Channel, tuple[str, ...]] = {
    Channel.EMAIL: ("address", "emailFrom"),
    Channel.SMS: ("smsFrom",),
    Channel.MAIL: ("address",),
}
# What a postal address needs to be printed on a letter or under a marketing email.
_POSTAL_PARTS = ("line1", "city", "postal_code", "country")


@dataclass(frozen=True)
class ProfileError:
    """One bad field; `field` is a camelCase path such as `address.postalCode`."""

    field: str
    message: str
    code: ProfileErrorCode


class InvalidProfile(ValueError):
    def __init__(self, errors: list[ProfileError]) -> None:
        super().__init__("; ".join(f"{error.field}: {error.message}" for error in errors))
        self.errors = errors


def parse_profile(document: Any) -> ClinicProfile:
    """A profile from camelCase JSON, or InvalidProfile naming every bad field (types and rules)."""
    try:
        profile = ClinicProfile.model_validate(document)
    except ValidationError as exc:
        raise InvalidProfile(
            [
                ProfileError(problem.field, problem.message, ProfileErrorCode(problem.code))
                for problem in field_problems(exc, "clinic")
            ]
        ) from exc
    errors = profile_errors(profile)
    if errors:
        raise InvalidProfile(errors)
    return profile


def profile_errors(profile: ClinicProfile) -> list[ProfileError]:
    """Every rule the profile breaks, each naming its field; empty when it may be stored."""
    return [
        *_name_errors(profile.name),
        *_phone_errors(profile),
        *_email_errors("email", profile.email),
        *_address_errors(profile.address),
        *_time_zone_errors(profile.timezone),
        *_https_errors("bookingUrl", profile.booking_url),
        *_email_from_errors(profile.email_from),
        *_sms_from_errors(profile.sms_from),
        *_https_errors("website", profile.website),
        *_quiet_hours_errors(profile.quiet_hours),
    ]


def channel_gaps(profile: ClinicProfile | None, channels: Iterable[Channel]) -> list[str]:
    """The profile fields (camelCase) the channels need and the profile lacks, in order."""
    needed = [field for channel in channels for field in CHANNEL_NEEDS[channel]]
    present = _present_fields(profile)
    return [field for field in dict.fromkeys(needed) if field not in present]


def postal_lines(address: Address | None) -> list[str]:
    """The address as printed on an envelope: street lines, then "City, ST 12345", then country."""
    if address is None:
        return []
    locality = " ".join(
        part for part in (f"{address.city}," if address.city else None, address.state) if part
    ).rstrip(",")
    last = " ".join(part for part in (locality, address.postal_code) if part)
    lines = [address.line1, address.line2, last, address.country]
    return [line for line in lines if line]


def email_footer(clinic: ClinicProfile) -> str:
    """Who sent it and where: every marketing email carries the sender's postal address (what
    dispatch-svc sends, and campaign-svc's preview shows)."""
    lines = [clinic.name, *postal_lines(clinic.address), clinic.phone or "", clinic.website or ""]
    return "\n\n--\n" + "\n".join(line for line in lines if line)


def one_line_address(address: Address | None) -> str | None:
    """The address for a template's `{{ clinic.address }}`, e.g. in an SMS."""
    return ", ".join(postal_lines(address)) or None


def merge_data(profile: ClinicProfile) -> dict[str, Any]:
    """The `clinic.*` merge fields of a message."""
    return {
        "name": profile.name,
        "phone": profile.phone,
        "address": one_line_address(profile.address),
    }


def sending_hours(quiet_hours: QuietHours | None) -> tuple[time, time]:
    """The clinic's window, never wider than the legal one (a snapshot is not trusted blindly)."""
    start, end = LEGAL_START, LEGAL_END
    if quiet_hours is not None:
        start = max(start, _time_or(quiet_hours.start, start))
        end = min(end, _time_or(quiet_hours.end, end))
    return (start, end) if start < end else (LEGAL_START, LEGAL_END)


def _time_or(text: str, default: time) -> time:
    try:
        return time.fromisoformat(text)
    except ValueError:
        return default


def _present_fields(profile: ClinicProfile | None) -> set[str]:
    if profile is None:
        return set()
    present = set()
    if profile.address is not None and not list(_address_errors(profile.address)):
        present.add("address")
    if profile.email_from:
        present.add("emailFrom")
    if profile.sms_from:
        present.add("smsFrom")
    return present


def _name_errors(name: str) -> Iterator[ProfileError]:
    if not name.strip():
        yield ProfileError("name", "must not be empty", ProfileErrorCode.REQUIRED)
    elif len(name) > NAME_MAX_LENGTH:
        yield ProfileError(
            "name", f"must be at most {NAME_MAX_LENGTH} characters", ProfileErrorCode.TOO_LONG
        )


def _phone_errors(profile: ClinicProfile) -> Iterator[ProfileError]:
    if profile.phone is None:
        return
    # A number written the local way ("(312) 555-0100") is read in the clinic's own country.
    country = (profile.address.country if profile.address else None) or ""
    region = country.upper() if len(country) == 2 else "US"
    if not _is_possible_number(profile.phone, region):
        yield ProfileError(
            "phone", f"'{profile.phone}' is not a phone number", ProfileErrorCode.INVALID_PHONE
        )


def _is_possible_number(text: str, region: str) -> bool:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_possible_number(number)


def _email_errors(field: str, value: str | None) -> Iterator[ProfileError]:
    if value is None:
        return
    problem = _email_problem(value)
    if problem is not None:
        yield ProfileError(field, problem, ProfileErrorCode.INVALID_EMAIL)


def _email_problem(address: str) -> str | None:
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        return f"'{address}' is not an email address: {exc}"
    return None


def _address_errors(address: Address | None) -> Iterator[ProfileError]:
    if address is None:
        return
    for part in _POSTAL_PARTS:
        value = getattr(address, part)
        if value is None or not str(value).strip():
            yield ProfileError(
                f"address.{to_camel(part)}",
                "a postal address needs it",
                ProfileErrorCode.REQUIRED,
            )
    if address.country and len(address.country) != 2:
        yield ProfileError(
            "address.country", "use the two-letter country code (US, CA…)", ProfileErrorCode.INVALID
        )


def _time_zone_errors(name: str) -> Iterator[ProfileError]:
    if not is_time_zone(name):
        yield ProfileError(
            "timezone",
            f"'{name}' is not an IANA time zone such as America/Chicago",
            ProfileErrorCode.INVALID_TIME_ZONE,
        )


def is_time_zone(name: str) -> bool:
    if name in _NOT_CLINIC_ZONES:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def _https_errors(field: str, url: str | None) -> Iterator[ProfileError]:
    if url is None:
        return
    parts = urlsplit(url)
    if not url.startswith("https://") or not parts.hostname or " " in url:
        yield ProfileError(
            field, f"'{url}' is not an https:// address of a page", ProfileErrorCode.NOT_HTTPS
        )


def _email_from_errors(sender: str | None) -> Iterator[ProfileError]:
    if sender is None:
        return
    display_name, address = parseaddr(sender)
    problem = _email_problem(address) if address else "is empty"
    if problem is not None or not display_name.strip():
        yield ProfileError(
            "emailFrom",
            f"'{sender}' must be a name and an address, e.g. Bright Smiles <hello@clinic.com>",
            ProfileErrorCode.INVALID_EMAIL,
        )


def _sms_from_errors(number: str | None) -> Iterator[ProfileError]:
    if number is None:
        return
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        parsed = None
    e164 = (
        phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) if parsed else None
    )
    if parsed is None or e164 != number or not phonenumbers.is_valid_number(parsed):
        yield ProfileError(
            "smsFrom",
            f"'{number}' is not a phone number in E.164 form, e.g. +13125550100",
            ProfileErrorCode.NOT_E164,
        )


def _quiet_hours_errors(quiet_hours: QuietHours) -> Iterator[ProfileError]:
    bounds: dict[str, time] = {}
    for part, text in (("start", quiet_hours.start), ("end", quiet_hours.end)):
        field = f"quietHours.{part}"
        # Only HH:MM, as the document's pattern says: fromisoformat also reads "1230Z", a time
        # with a zone that cannot be compared with the legal window.
        moment = time.fromisoformat(text) if re.fullmatch(HH_MM, text) else None
        if moment is None:
            yield ProfileError(
                field, f"'{text}' is not a time of day as HH:MM", ProfileErrorCode.INVALID_TIME
            )
        elif not LEGAL_START <= moment <= LEGAL_END:
            yield ProfileError(
                field,
                f"{text} is outside 08:00-21:00, the hours the law allows outreach",
                ProfileErrorCode.OUTSIDE_LEGAL_HOURS,
            )
        else:
            bounds[part] = moment
    if len(bounds) == 2 and bounds["start"] >= bounds["end"]:
        yield ProfileError(
            "quietHours", "the start must come before the end", ProfileErrorCode.EMPTY_WINDOW
        )
