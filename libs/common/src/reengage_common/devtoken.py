"""`./dev token`: print a development JWT signed with the development key pair.

The pair lives in $REENGAGE_CACHE/dev-jwt/ (made on first use); services in development verify
with its public half when no JWT_PUBLIC_KEY or JWT_JWKS_URL is set.
"""

import argparse
from datetime import timedelta

from reengage_common.auth import ROLE_DEFAULT_PERMISSIONS, development_signing_key, issue_token
from reengage_common.settings import load_settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="./dev token", description=__doc__)
    parser.add_argument("--role", default="clinic_admin", choices=sorted(ROLE_DEFAULT_PERMISSIONS))
    parser.add_argument("--clinic", default="clinic-demo", help="clinic id the token is scoped to")
    parser.add_argument("--user", default="dev-user", help="the token's subject (createdBy)")
    parser.add_argument(
        "--permissions",
        default=None,
        help="comma-separated permissions overriding the role's defaults ('' for none)",
    )
    parser.add_argument("--hours", type=float, default=12.0, help="lifetime in hours")
    args = parser.parse_args(argv)
    permissions = None
    if args.permissions is not None:
        permissions = [p.strip() for p in args.permissions.split(",") if p.strip()]
    settings = load_settings("dev-token")
    print(
        issue_token(
            development_signing_key(),
            user_id=args.user,
            clinic_id=args.clinic,
            role=args.role,
            permissions=permissions,
            ttl=timedelta(hours=args.hours),
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
        )
    )


if __name__ == "__main__":
    main()
