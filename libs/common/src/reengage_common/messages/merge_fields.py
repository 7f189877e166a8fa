"""The merge fields a message template may use, and sample values for previews.

Merge data is a JSON-like dict shaped like the fields, camelCase, dates as ISO strings:

    {"patient": {"firstName": "Ada", "lastName": "…", "lastVisitDate": "2025-10-15",
                 "treatmentStage": "RETENTION"},
     "clinic": {"name": "…", "phone": "…", "address": "…"},
     "incentive": {"code": "SMILE20", "details": "…"},
     "household": {"names": "Emma and Liam", "size": 2},
     "bookingLink": "https://…", "unsubscribeLink": "https://…"}
"""

from datetime import datetime, timedelta
from typing import Any

from reengage_common.events import Incentive
from reengage_common.messages.households import household_merge_data

MERGE_GROUPS: dict[str, frozenset[str]] = {
    "patient": frozenset({"firstName", "lastName", "lastVisitDate", "treatmentStage"}),
    "clinic": frozenset({"name", "phone", "address"}),
    "incentive": frozenset({"code", "details"}),
    # who one message names (messages/households.py): the patient alone, or a household's due
    "household": frozenset({"names", "size"}),
}
MERGE_LINKS = frozenset({"bookingLink", "unsubscribeLink"})
# What a real message may lack: every patient field (a patient with no completed visit, no name
# or stage on file; audience-svc sends None), and so the household's names and the clinic profile's optional parts. The
# clinic's name, an offered incentive and the links are always there.
MAY_BE_MISSING: frozenset[str] = frozenset(
    {f"patient.{name}" for name in MERGE_GROUPS["patient"]}
    | {"clinic.phone", "clinic.address", "household.names"}
)
KNOWN_MERGE_FIELDS: tuple[str, ...] = tuple(
    sorted(
        [f"{group}.{field}" for group, fields in MERGE_GROUPS.items() for field in fields]
        + list(MERGE_LINKS)
    )
)

# Eight months back reads naturally in a preview ("8 months ago") and is a typical lapse.
_SAMPLE_LAPSE = timedelta(days=243)


def sample_merge_data(
    *,
    clinic_name: str,
    now: datetime,
    clinic_phone: str = "(555) 010-0100",
    clinic_address: str = "100 Main Street, Springfield",
    incentive: Incentive | None = None,
    language: str | None = None,
) -> dict[str, Any]:
    """Believable merge data for a preview, shaped exactly like real merge data: the sample
    patient's household of two, so the preview shows how a household message reads."""
    offered = incentive if incentive is not None and incentive.has_incentive else None
    return {
        "patient": {
            "firstName": "Jamie",
            "lastName": "Rivera",
            "lastVisitDate": (now - _SAMPLE_LAPSE).date().isoformat(),
            "treatmentStage": "HYGIENE_RECALL",
        },
        "clinic": {"name": clinic_name, "phone": clinic_phone, "address": clinic_address},
        "incentive": {
            "code": (offered and offered.incentive_code) or "SMILE20",
            "details": (offered and offered.incentive_details) or "20% off your next cleaning",
        },
        "household": household_merge_data(["Jamie", "Alex"], language),
        "bookingLink": "https://book.example.com/preview",
        "unsubscribeLink": "https://unsubscribe.example.com/preview",
    }


def sparse_merge_data(
    *, clinic_name: str, now: datetime, incentive: Incentive | None = None
) -> dict[str, Any]:
    """`sample_merge_data` with every field that `MAY_BE_MISSING` missing (None, as real merge
    data has it): a template that renders with this renders for every patient."""
    sparse = sample_merge_data(clinic_name=clinic_name, now=now, incentive=incentive)
    for field in MAY_BE_MISSING:
        group, name = field.split(".")
        sparse[group][name] = None
    return sparse
