"""Development sign-in for the console: `POST /console/dev-sign-in {"clinicId", "role"}` answers
`{"token": ...}`, the same token `./dev token --clinic C --role R` prints (the development key
pair in $REENGAGE_CACHE/dev-jwt, the role's default permissions, 12 hours).

The route exists only with ENV=development: a production or test gateway has no such path (404),
so no deployment can mint its own tokens. The token travels in the answer's body, never in a URL.
"""

from datetime import timedelta

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from reengage_common.auth import ROLE_DEFAULT_PERMISSIONS, development_signing_key, issue_token
from reengage_common.settings import Settings

DEV_SIGN_IN_PATH = "/console/dev-sign-in"
DEV_USER = "dev-user"
LIFETIME = timedelta(hours=12)
CLINIC_ID_MAX = 64


def dev_sign_in_routes(settings: Settings) -> list[BaseRoute]:
    if settings.env != "development":
        return []

    async def sign_in(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return _refused("body", "a JSON object with clinicId and role")
        clinic_id, role = body.get("clinicId"), body.get("role")
        if not isinstance(clinic_id, str) or not 0 < len(clinic_id.strip()) <= CLINIC_ID_MAX:
            return _refused("clinicId", f"a clinic id of 1 to {CLINIC_ID_MAX} characters")
        if role not in ROLE_DEFAULT_PERMISSIONS:
            return _refused("role", "one of " + ", ".join(sorted(ROLE_DEFAULT_PERMISSIONS)))
        token = issue_token(
            development_signing_key(),
            user_id=DEV_USER,
            clinic_id=clinic_id.strip(),
            role=role,
            ttl=LIFETIME,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
        )
        return JSONResponse({"token": token}, headers={"cache-control": "no-store"})

    return [Route(DEV_SIGN_IN_PATH, sign_in, methods=["POST"])]


def _refused(field: str, expected: str) -> Response:
    return JSONResponse(
        {"error": "VALIDATION", "fields": [{"field": field, "message": f"expected {expected}"}]},
        status_code=422,
    )
