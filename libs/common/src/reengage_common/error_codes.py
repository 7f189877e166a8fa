"""What is wrong with one field, as a code per domain beside the message (saleor's
`error_codes.py`), so a client reacts to the code and shows the message without parsing it.

campaign-svc answers `CampaignErrorCode` for a campaign (its definition, launch and preview)
and `ProfileErrorCode` for a clinic profile; audience-svc `AudienceErrorCode` for an estimate
and a patient import; tracking-svc `TrackingErrorCode` for its reads (a recipients page, a
stats batch); `RequestErrorCode` is for the request around a resource (its body, query
parameters, ids) that the gateway checks itself. The gateway passes each code on in
`error.fields[].code` (REST) and `FieldError.code` (GraphQL), where `FieldErrorCode` is the
documented set.
"""

from dataclasses import dataclass
from enum import StrEnum

from pydantic import ValidationError
from pydantic.alias_generators import to_camel


class CampaignErrorCode(StrEnum):
    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    INVALID_TYPE = "INVALID_TYPE"
    TOO_LONG = "TOO_LONG"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    DUPLICATE = "DUPLICATE"
    UNKNOWN_TREATMENT_STAGE = "UNKNOWN_TREATMENT_STAGE"
    # A step's variant or channel that the campaign does not have.
    NOT_IN_CAMPAIGN = "NOT_IN_CAMPAIGN"
    UNUSED_VARIANT = "UNUSED_VARIANT"
    SEQUENCE_GAP = "SEQUENCE_GAP"
    INVALID_TIME = "INVALID_TIME"
    OUTSIDE_LEGAL_HOURS = "OUTSIDE_LEGAL_HOURS"
    INVALID_TIME_ZONE = "INVALID_TIME_ZONE"
    END_BEFORE_START = "END_BEFORE_START"
    END_DATE_PASSED = "END_DATE_PASSED"
    INVALID_TEMPLATE = "INVALID_TEMPLATE"
    NOT_ALLOWED_MERGE_FIELD = "NOT_ALLOWED_MERGE_FIELD"
    TEMPLATE_RENDER_FAILED = "TEMPLATE_RENDER_FAILED"
    # A template that renders with full data but fails for a patient lacking a merge value.
    FAILS_FOR_MISSING_VALUE = "FAILS_FOR_MISSING_VALUE"
    CODE_IN_USE = "CODE_IN_USE"
    # The clinic profile lacks what the campaign's channels need (field `clinic.<name>`).
    PROFILE_INCOMPLETE = "PROFILE_INCOMPLETE"
    # A message part that renders past its limit (subject 998, email 100,000, SMS 1,600,
    # letter 20,000 characters).
    RENDERED_TOO_LARGE = "RENDERED_TOO_LARGE"
    # Launch: `clinic.emailFrom` on no verified domain, `clinic.smsFrom` not the clinic's number.
    SENDER_NOT_VERIFIED = "SENDER_NOT_VERIFIED"
    # A `savedAudienceId` naming no saved audience of the clinic.
    UNKNOWN_AUDIENCE = "UNKNOWN_AUDIENCE"
    # A `defaultLanguage` or a template's `language` that messages are not written in (en, es).
    UNSUPPORTED_LANGUAGE = "UNSUPPORTED_LANGUAGE"


class ProfileErrorCode(StrEnum):
    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    INVALID_TYPE = "INVALID_TYPE"
    TOO_LONG = "TOO_LONG"
    INVALID_EMAIL = "INVALID_EMAIL"
    INVALID_PHONE = "INVALID_PHONE"
    NOT_E164 = "NOT_E164"
    INVALID_TIME_ZONE = "INVALID_TIME_ZONE"
    NOT_HTTPS = "NOT_HTTPS"
    INVALID_TIME = "INVALID_TIME"
    OUTSIDE_LEGAL_HOURS = "OUTSIDE_LEGAL_HOURS"
    EMPTY_WINDOW = "EMPTY_WINDOW"


class AudienceErrorCode(StrEnum):
    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    INVALID_TYPE = "INVALID_TYPE"
    NOT_JSON = "NOT_JSON"
    NOT_ONE_OF = "NOT_ONE_OF"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    # An import whose file as a whole cannot be read (a CSV header naming unknown columns).
    UNREADABLE_FILE = "UNREADABLE_FILE"
    # An import of more rows than one takes (MAX_IMPORT_ROWS).
    TOO_LARGE = "TOO_LARGE"


class TrackingErrorCode(StrEnum):
    INVALID_TYPE = "INVALID_TYPE"
    NOT_JSON = "NOT_JSON"
    NOT_ONE_OF = "NOT_ONE_OF"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    # An `after` that is not a cursor this API gave out.
    BAD_CURSOR = "BAD_CURSOR"


class WebhookErrorCode(StrEnum):
    """dispatch-svc's for an outbound webhook endpoint (its URL, events, description)."""

    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    INVALID_TYPE = "INVALID_TYPE"
    TOO_LONG = "TOO_LONG"
    DUPLICATE = "DUPLICATE"
    NOT_HTTPS = "NOT_HTTPS"
    OUT_OF_RANGE = "OUT_OF_RANGE"


class RequestErrorCode(StrEnum):
    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    INVALID_TYPE = "INVALID_TYPE"
    NOT_JSON = "NOT_JSON"
    NOT_ONE_OF = "NOT_ONE_OF"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    GIVEN_TWICE = "GIVEN_TWICE"


# Every domain's codes as one enum: the documented set of `code` in the API's field errors
# (GraphQL `FieldErrorCode`, OpenAPI `FieldErrorCode`).
FieldErrorCode = StrEnum(  # type: ignore[misc]
    "FieldErrorCode",
    {
        code: code
        for code in sorted(
            {
                c.value
                for kind in (
                    CampaignErrorCode,
                    ProfileErrorCode,
                    AudienceErrorCode,
                    TrackingErrorCode,
                    WebhookErrorCode,
                    RequestErrorCode,
                )
                for c in kind
            }
        )
    },
)
FIELD_ERROR_CODES: frozenset[str] = frozenset(FieldErrorCode)


# pydantic's "Input should be a valid <type>" errors are named `*_type`, but for a fraction
# given for an integer; a value of the right type that breaks a rule (a date that does not
# parse, an unknown enum member, a too-long text) is INVALID.
_TYPE_ERRORS = frozenset({"int_from_float"})


def code_of_pydantic_error(error_type: str) -> str:
    """REQUIRED, INVALID_TYPE or INVALID for one of pydantic's `ErrorDetails["type"]`; each
    domain's enum has the three."""
    if error_type == "missing":
        return "REQUIRED"
    if error_type.endswith("_type") or error_type in _TYPE_ERRORS:
        return "INVALID_TYPE"
    return "INVALID"


@dataclass(frozen=True)
class FieldProblem:
    """One of pydantic's complaints about a request, said for a client: `field` is the camelCase
    path (`messageTemplates.1.subject`), or the document's own name when the whole is wrong;
    `error_type` is pydantic's, for a domain's finer codes (see `code_of_pydantic_error`)."""

    field: str
    message: str
    error_type: str

    @property
    def code(self) -> str:
        return code_of_pydantic_error(self.error_type)


# pydantic would name our Python classes in these messages, which mean nothing to a clinic.
_OBJECT_ERRORS = frozenset({"model_type", "dict_type", "model_attributes_type"})


def field_problems(exc: ValidationError, document: str) -> list[FieldProblem]:
    """Each complaint of `exc` with its camelCase path; `document` names the whole."""
    problems = []
    for error in exc.errors():
        path = ".".join(
            str(part) if isinstance(part, int) else to_camel(str(part)) for part in error["loc"]
        )
        if error["type"] == "missing":
            message = "is required"
        elif error["type"] in _OBJECT_ERRORS:
            message = "expected an object"
        else:
            message = str(error["msg"])
        problems.append(FieldProblem(path or document, message, error["type"]))
    return problems
