"""Keys of the platform's JWTs: signing keys for whoever mints, public keys for who verifies.

Services and the gateway only ever hold public keys (a PEM, a JWKS URL, or in development the
public half of the development key pair). The private half of that pair lives in
`$REENGAGE_CACHE/dev-jwt/` (mode 0600), where `./dev token` and the demo data read it.
"""

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey

# The algorithm of an EC key follows from its curve; a token never chooses it.
_EC_ALGORITHMS = {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}
_PRIVATE_FILE = "private.pem"
_PUBLIC_FILE = "public.pem"


@dataclass(frozen=True)
class VerificationKey:
    """A key that checks signatures, and the one algorithm it is checked with."""

    key: Any  # a cryptography public key, or the HS256 secret as bytes (development only)
    algorithm: str
    kid: str | None = None


@dataclass(frozen=True)
class SigningKey:
    """A private key that mints tokens (the dev token tool and tests; never a service)."""

    private_key: PrivateKey
    algorithm: str
    kid: str

    @property
    def public_pem(self) -> str:
        return public_pem_of(self.private_key.public_key())

    def verification_key(self) -> VerificationKey:
        return VerificationKey(self.private_key.public_key(), self.algorithm, self.kid)

    def public_jwk(self) -> dict[str, Any]:
        """The public key as one entry of a JWKS document."""
        public = self.private_key.public_key()
        codec = RSAAlgorithm if isinstance(public, rsa.RSAPublicKey) else ECAlgorithm
        jwk = codec.to_jwk(public, as_dict=True)
        return {**jwk, "kid": self.kid, "alg": self.algorithm, "use": "sig"}


def generate_signing_key(algorithm: str = "ES256") -> SigningKey:
    """A fresh key pair: ES256 (P-256, fast to make) or RS256 (RSA 2048)."""
    if algorithm == "ES256":
        private: PrivateKey = ec.generate_private_key(ec.SECP256R1())
    elif algorithm == "RS256":
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    else:
        raise ValueError(f"signing keys are ES256 or RS256, not {algorithm}")
    return SigningKey(private, algorithm, key_id_of(private.public_key()))


def public_pem_of(public: PublicKey) -> str:
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def key_id_of(public: PublicKey) -> str:
    """A stable kid: the start of the SHA-256 of the public key."""
    der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()[:16]


def algorithm_of(public: object) -> str:
    """The one algorithm a public key verifies: RS256 for RSA, ES256/384/512 by curve, EdDSA."""
    if isinstance(public, rsa.RSAPublicKey):
        return "RS256"
    if isinstance(public, ec.EllipticCurvePublicKey) and public.curve.name in _EC_ALGORITHMS:
        return _EC_ALGORITHMS[public.curve.name]
    if isinstance(public, ed25519.Ed25519PublicKey):
        return "EdDSA"
    raise ValueError("not an RSA, EC (P-256/384/521) or Ed25519 public key")


def load_public_key(pem: str) -> VerificationKey:
    """A PEM public key (as an env var may carry it, with literal `\\n`s) ready to verify."""
    text = pem.strip().replace("\\n", "\n")
    try:
        public = serialization.load_pem_public_key(text.encode())
    except ValueError as exc:
        raise ValueError("not a PEM public key (-----BEGIN PUBLIC KEY-----)") from exc
    return VerificationKey(public, algorithm_of(public), key_id_of(public))  # type: ignore[arg-type]


def development_key_dir() -> Path:
    root = os.environ.get("REENGAGE_CACHE") or str(Path.home() / ".cache" / "reengage")
    return Path(root).expanduser() / "dev-jwt"


def development_signing_key(directory: Path | None = None) -> SigningKey:
    """The private half of the development pair, made on first use."""
    directory = _ensure_development_pair(directory or development_key_dir())
    private = serialization.load_pem_private_key(
        (directory / _PRIVATE_FILE).read_bytes(), password=None
    )
    if not isinstance(private, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise ValueError(f"{directory / _PRIVATE_FILE}: expected an EC or RSA private key")
    public = private.public_key()
    return SigningKey(private, algorithm_of(public), key_id_of(public))


def development_public_key(directory: Path | None = None) -> VerificationKey:
    """The public half of the development pair: what services verify with in development."""
    directory = _ensure_development_pair(directory or development_key_dir())
    return load_public_key((directory / _PUBLIC_FILE).read_text())


def _ensure_development_pair(directory: Path) -> Path:
    """Make the pair once, race-safe: a full staging directory renamed into place.

    Two processes starting together both generate; the first rename wins and the second
    discards its pair, so nobody ever sees a private key without its own public key.
    """
    if (directory / _PUBLIC_FILE).exists() and (directory / _PRIVATE_FILE).exists():
        return directory
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".dev-jwt-", dir=directory.parent))  # mode 0700
    key = generate_signing_key("ES256")
    private_pem = key.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _write_new(staging / _PRIVATE_FILE, private_pem, mode=0o600)
    _write_new(staging / _PUBLIC_FILE, key.public_pem.encode(), mode=0o644)
    try:
        staging.rename(directory)
    except OSError:  # another process made the pair first (the directory is not empty)
        shutil.rmtree(staging, ignore_errors=True)
    return directory


def _write_new(path: Path, content: bytes, *, mode: int) -> None:
    # Created with its final mode, so a private key is never readable by others, even briefly.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(descriptor, "wb") as file:
        file.write(content)
