"""Expected errors as GraphQL result types, and the rest as errors with `extensions.code`.

A mutation's result is a union of its object and the error types it can meet (saleor style).
Errors outside that union (UNAUTHENTICATED, FORBIDDEN, NOT_AVAILABLE where no result type
carries it, ...) become GraphQL errors with `extensions.code`; those codes are never masked.
"""

from collections.abc import Awaitable, Callable
from typing import TypeVar

import strawberry
from graphql import GraphQLError

from gateway.operations import errors as operation_errors
from gateway.operations.errors import EXPOSED_CODES, OperationError
from reengage_common import error_codes

FieldErrorCode = strawberry.enum(
    error_codes.FieldErrorCode,
    description="What is wrong with a field, for a client that reacts without parsing the "
    "message (the README lists each domain's codes).",
)


@strawberry.type(description="One bad input field, named by its camelCase path.")
class FieldError:
    field: str
    message: str
    code: FieldErrorCode


@strawberry.type(description="The input breaks a rule; `fields` names each offending field.")
class ValidationError:
    message: str
    fields: list[FieldError]


@strawberry.type(description="No such campaign in your clinic.")
class NotFound:
    message: str


@strawberry.type(description="The campaign's current status does not allow this.")
class NotAllowed:
    message: str


@strawberry.type(
    description="The service that answers this is down or unreachable (e.g. tracking-svc)."
)
class NotAvailable:
    message: str
    service: str


ErrorResult = ValidationError | NotFound | NotAllowed | NotAvailable
Expected = tuple[type[OperationError], ...]
T = TypeVar("T")
R = TypeVar("R")


def error_result(error: OperationError) -> ErrorResult:
    if isinstance(error, operation_errors.Invalid):
        fields = [
            FieldError(field=item.field, message=item.message, code=FieldErrorCode(item.code))
            for item in error.fields
        ]
        return ValidationError(message=error.message, fields=fields)
    if isinstance(error, operation_errors.NotFound):
        return NotFound(message=error.message)
    if isinstance(error, operation_errors.NotAllowed):
        return NotAllowed(message=error.message)
    if isinstance(error, operation_errors.NotAvailable):
        return NotAvailable(message=error.message, service=error.service)
    raise graphql_error(error)


def graphql_error(error: OperationError) -> GraphQLError:
    extensions: dict[str, object] = {"code": error.code}
    if isinstance(error, operation_errors.Invalid):
        extensions["fields"] = [
            {"field": f.field, "message": f.message, "code": f.code} for f in error.fields
        ]
        # The common label of a client's bad input (Apollo's code), for generic GraphQL tooling
        # that tells a client's mistake from a server failure.
        extensions["classification"] = "BAD_USER_INPUT"
    if isinstance(error, operation_errors.NotAvailable):
        extensions["service"] = error.service
    return GraphQLError(error.message, extensions=extensions, original_error=error)


async def result_of(
    operation: Awaitable[T], convert: Callable[[T], R], *, expected: Expected
) -> R | ErrorResult:
    """The converted answer, an error result for the `expected` errors, else a GraphQL error."""
    try:
        return convert(await operation)
    except expected as error:
        return error_result(error)
    except OperationError as error:
        raise graphql_error(error) from error


async def answer_of(operation: Awaitable[T]) -> T:
    """The answer, or a GraphQL error carrying the operation error's code."""
    try:
        return await operation
    except OperationError as error:
        raise graphql_error(error) from error


def should_mask_error(error: GraphQLError) -> bool:
    """Mask unexpected failures; show our coded errors and errors in the document itself."""
    code = (error.extensions or {}).get("code")
    if code in EXPOSED_CODES:
        return False
    # No original error: a syntax, validation, depth, token or alias-limit error of the query.
    return error.original_error is not None
