"""The outcomes of an operation other than success, independent of GraphQL or REST."""

from dataclasses import dataclass
from typing import ClassVar

from reengage_common.error_codes import FIELD_ERROR_CODES, RequestErrorCode


@dataclass(frozen=True)
class FieldProblem:
    """One bad field; `field` is a camelCase path such as `messageTemplates.0.subject`, `code`
    one of `FIELD_ERROR_CODES` (the service's, else the gateway's own `RequestErrorCode`)."""

    field: str
    message: str
    code: str

    @classmethod
    def from_service(cls, field: str, message: str, code: object) -> "FieldProblem":
        """A service's field error; a code outside the documented set (or none) is INVALID,
        so a client only ever meets documented codes."""
        known = code if isinstance(code, str) and code in FIELD_ERROR_CODES else None
        return cls(field, message, known or RequestErrorCode.INVALID)


class OperationError(Exception):
    """An answer the caller can act on; `code` is the same in GraphQL extensions and REST."""

    code: ClassVar[str] = "INTERNAL"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unauthenticated(OperationError):
    code = "UNAUTHENTICATED"


class Forbidden(OperationError):
    code = "FORBIDDEN"


class NotFound(OperationError):
    """Absent, or another clinic's: the two are indistinguishable on purpose."""

    code = "NOT_FOUND"


class NotAllowed(OperationError):
    """The campaign's state does not allow this (e.g. editing a launched campaign)."""

    code = "NOT_ALLOWED"


class Invalid(OperationError):
    code = "VALIDATION"

    def __init__(self, message: str, fields: list[FieldProblem] | None = None) -> None:
        super().__init__(message)
        self.fields = fields or []


class NotAvailable(OperationError):
    """The service that would answer is not deployed yet, or cannot be reached."""

    code = "NOT_AVAILABLE"

    def __init__(self, service: str, message: str | None = None) -> None:
        super().__init__(message or f"{service} is not available right now")
        self.service = service


class ServiceFailed(OperationError):
    """A service answered with something we did not expect; details go to the log only."""

    code = "SERVICE_FAILED"


# Codes a client is shown as they are; anything else is masked outside development.
EXPOSED_CODES = frozenset(
    kind.code for kind in (Unauthenticated, Forbidden, NotFound, NotAllowed, Invalid, NotAvailable)
)
