"""Every service's internal JSON API answers the gateway the same way: the caller's forwarded
token is verified again (401), the permission an endpoint needs checked (403), and the expected
failures a service declares turned into clear answers; anything else is a 500 the service
logs. A route is `Route(path, internal(endpoint, requires=..., errors=...))` and an endpoint
takes the request and the verified `Identity`.
"""

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from reengage_common.auth import AuthError, Identity, PermissionDenied
from reengage_common.web import error_response, identity_of, unauthenticated

Endpoint = Callable[[Request, Identity], Awaitable[Response]]
Answer = Callable[[Request], Awaitable[Response]]
# An expected failure (one class, or a tuple of them) and how it is answered.
ErrorAnswers = Mapping[type[Exception] | tuple[type[Exception], ...], Callable[[Any], Response]]


def internal(
    endpoint: Endpoint, *, requires: str | None = None, errors: ErrorAnswers | None = None
) -> Answer:
    """`endpoint` for the caller the token names, holding `requires` if given; the first entry
    of `errors` whose class the failure is decides its answer."""
    answers = dict(errors or {})
    expected = tuple(
        kind for kinds in answers for kind in (kinds if isinstance(kinds, tuple) else (kinds,))
    )

    async def run(request: Request) -> Response:
        try:
            identity = identity_of(request)
            if requires is not None:
                identity.require(requires)
            return await endpoint(request, identity)
        except AuthError as exc:
            return unauthenticated(exc)
        except PermissionDenied as exc:
            return error_response(403, "FORBIDDEN", str(exc))
        except expected as exc:
            for kinds, answer in answers.items():
                if isinstance(exc, kinds):
                    return answer(exc)
            raise  # unreachable: `expected` holds only the classes of `answers`

    return run


def invalid(fields: Sequence[Mapping[str, object]]) -> JSONResponse:
    """422 naming every field that needs attention (`{"field", "message", "code"}` each)."""
    return error_response(
        422, "VALIDATION", f"{len(fields)} field(s) need attention", fields=list(fields)
    )
