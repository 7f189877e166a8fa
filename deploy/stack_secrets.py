"""Secrets for the production-like compose stack (deploy/compose.yaml), one file each.

    .venv/bin/python deploy/stack_secrets.py make [--dir deploy/secrets]
    JWT_ISSUER=https://id.example .venv/bin/python deploy/stack_secrets.py token --clinic c-1 --role clinic_admin

`make` writes what can be generated and keeps every file that exists: an RS256 key pair
(`jwt_public_key` is mounted into the gateway and every service; `jwt_private_key.pem` stays
here, the stand-in for the platform's identity service that issues tokens), `link_secret`,
`email_webhook_secret`, `mongo_root_password` and `mongo_url`. The provider credentials
(`twilio_auth_token`, `lob_api_key`, `smtp_password`) are yours to write; `make` lists the
missing ones. `token` signs a staff token with the private key, as the identity service would.
The directory is 0700 (nobody else on the host reaches a file in it); the mounted files are
0644, so the parts' user (uid 10001) reads them through compose's bind mounts; the private key
is 0600. deploy/secrets/ is ignored by git.
"""

import argparse
import os
import secrets
import sys
from datetime import timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from reengage_common.auth import ROLE_DEFAULT_PERMISSIONS, generate_signing_key, issue_token
from reengage_common.jwt_keys import SigningKey, algorithm_of, key_id_of

DEFAULT_DIR = Path(__file__).resolve().parent / "secrets"
PRIVATE_KEY = "jwt_private_key.pem"
# what the compose file mounts, and who writes it
GENERATED = ("jwt_public_key", "link_secret", "email_webhook_secret", "mongo_root_password")
PROVIDED = ("twilio_auth_token", "lob_api_key", "smtp_password")
MONGO_USER = "reengage"


def make(directory: Path) -> list[str]:
    """Write the missing generated secrets; answer the provider files still missing."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    directory.chmod(0o700)
    if not (directory / PRIVATE_KEY).exists():
        key = generate_signing_key("RS256")
        private_pem = key.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        _write(directory / PRIVATE_KEY, private_pem.decode(), mode=0o600)
        _write(directory / "jwt_public_key", key.public_pem)
    for name in ("link_secret", "email_webhook_secret", "mongo_root_password"):
        if not (directory / name).exists():
            _write(directory / name, secrets.token_urlsafe(48))
    if not (directory / "mongo_url").exists():
        password = (directory / "mongo_root_password").read_text().strip()
        _write(
            directory / "mongo_url",
            f"mongodb://{MONGO_USER}:{password}@mongo:27017/?authSource=admin",
        )
    return [name for name in PROVIDED if not (directory / name).exists()]


def signing_key(directory: Path) -> SigningKey:
    pem = (directory / PRIVATE_KEY).read_bytes()
    private = serialization.load_pem_private_key(pem, password=None)
    public = private.public_key()
    return SigningKey(private, algorithm_of(public), key_id_of(public))  # type: ignore[arg-type]


def _write(path: Path, text: str, *, mode: int = 0o644) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    os.fchmod(descriptor, mode)  # whatever the umask
    with os.fdopen(descriptor, "w") as file:
        file.write(text.strip() + "\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("make", help="write the missing generated secrets")
    token = commands.add_parser("token", help="print a staff token signed with the private key")
    token.add_argument("--clinic", required=True)
    token.add_argument("--role", default="clinic_admin", choices=sorted(ROLE_DEFAULT_PERMISSIONS))
    token.add_argument("--user", default="operator")
    token.add_argument("--hours", type=float, default=1.0)
    args = parser.parse_args(argv)
    if args.command == "make":
        missing = make(args.dir)
        print(f"secrets in {args.dir}")
        for name in missing:
            print(f"  write {args.dir / name} yourself (your provider's credential)")
        return
    issuer = os.environ.get("JWT_ISSUER")
    if not issuer:
        sys.exit("set JWT_ISSUER to the value the stack runs with")
    print(
        issue_token(
            signing_key(args.dir),
            user_id=args.user,
            clinic_id=args.clinic,
            role=args.role,
            ttl=timedelta(hours=args.hours),
            issuer=issuer,
            audience=os.environ.get("JWT_AUDIENCE", "reengage"),
        )
    )


if __name__ == "__main__":
    main()
