import os
import stat
import threading
from pathlib import Path

import pytest

from reengage_common import devtoken
from reengage_common.auth import (
    MANAGE_REMINDERS,
    VIEW_ANALYTICS,
    AuthError,
    PermissionDenied,
    TokenVerifier,
    bearer_token,
    generate_signing_key,
    issue_token,
    verifier_for,
)
from reengage_common.jwt_keys import development_public_key, development_signing_key
from reengage_common.settings import DEVELOPMENT_JWT_SECRET, Settings
from reengage_testing.tokens import hs256_signed_with, refused_tokens, serving_jwks

KEY = generate_signing_key("ES256")
SETTINGS = Settings(env="test", jwt_public_key=KEY.public_pem)
PRODUCTION_ISSUER = "https://id.clinic-platform.example"
# Production refuses other development secrets too; these tests are about the token keys only.
OTHER_PRODUCTION_SECRETS = {"link_secret": "a-production-link-secret-of-40-characters"}


def verify(token: str, settings: Settings = SETTINGS):
    return verifier_for(settings).verify(token)


@pytest.mark.parametrize("algorithm", ["ES256", "RS256"])
def test_a_valid_token_gives_the_identity_it_claims(algorithm) -> None:
    key = KEY if algorithm == "ES256" else generate_signing_key("RS256")
    token = issue_token(key, user_id="u-1", clinic_id="clinic-a", role="clinic_admin")

    identity = verify(token, Settings(env="test", jwt_public_key=key.public_pem))

    assert identity.user_id == "u-1"
    assert identity.clinic_id == "clinic-a"
    assert identity.role == "clinic_admin"
    assert identity.permissions == {VIEW_ANALYTICS, MANAGE_REMINDERS}


@pytest.mark.parametrize("flaw", sorted(refused_tokens(KEY)))
def test_a_token_a_resource_server_must_not_trust_is_refused(flaw) -> None:
    token = refused_tokens(KEY)[flaw]

    with pytest.raises(AuthError):
        verify(token)


def test_an_expired_token_says_so() -> None:
    with pytest.raises(AuthError, match="expired"):
        verify(refused_tokens(KEY)["expired"])


def test_the_key_decides_the_algorithm_not_the_token() -> None:
    # Even where HS256 is allowed (development with a secret), the public key is no HMAC secret.
    settings = Settings(env="development", jwt_public_key=KEY.public_pem, jwt_secret="s" * 40)
    good = issue_token(KEY, user_id="u", clinic_id="c", role="staff")
    confused = hs256_signed_with(KEY.public_pem, {"sub": "u", "clinic_id": "c"})

    assert verify(good, settings).user_id == "u"
    with pytest.raises(AuthError):
        verify(confused, settings)


def test_hs256_with_a_shared_secret_works_in_development_only_when_configured() -> None:
    secret = "a-development-secret-long-enough-0001"
    token = issue_token(secret, user_id="u", clinic_id="c", role="staff")

    assert verify(
        token, Settings(env="development", jwt_secret=secret, jwt_public_key=KEY.public_pem)
    )
    with pytest.raises(AuthError, match="HS256"):
        verify(token)  # no JWT_SECRET: HS256 is not accepted at all


def test_keys_are_fetched_from_a_jwks_by_kid() -> None:
    served, unknown = generate_signing_key("RS256"), generate_signing_key("ES256")
    with serving_jwks(KEY, served) as url:
        settings = Settings(env="test", jwt_jwks_url=url)

        identity = verify(issue_token(served, user_id="u", clinic_id="c", role="staff"), settings)
        with pytest.raises(AuthError):
            verify(issue_token(unknown, user_id="u", clinic_id="c", role="staff"), settings)
        for flaw, token in refused_tokens(KEY).items():
            with pytest.raises(AuthError):
                verify(token, settings)
                pytest.fail(f"{flaw} accepted")

    assert identity.user_id == "u"


def test_a_token_claiming_another_algorithm_than_its_jwks_key_is_refused() -> None:
    rsa = generate_signing_key("RS256")
    impostor = generate_signing_key("ES256")
    forged = issue_token(
        type(impostor)(impostor.private_key, "ES256", rsa.kid),  # the RSA key's kid
        user_id="u",
        clinic_id="c",
        role="clinic_admin",
    )
    with serving_jwks(rsa) as url, pytest.raises(AuthError):
        verify(forged, Settings(env="test", jwt_jwks_url=url))


def test_a_verifier_without_keys_refuses_everything() -> None:
    verifier = TokenVerifier(issuer="reengage-dev", audience="reengage")

    with pytest.raises(AuthError):
        verifier.verify(issue_token(KEY, user_id="u", clinic_id="c", role="staff"))


def test_permissions_and_roles_are_required_as_asked() -> None:
    staff = verify(issue_token(KEY, user_id="u", clinic_id="c", role="staff"))
    manager = verify(issue_token(KEY, user_id="u", clinic_id="c", role="manager"))

    staff.require(VIEW_ANALYTICS)
    with pytest.raises(PermissionDenied):
        staff.require(MANAGE_REMINDERS)
    with pytest.raises(PermissionDenied, match="clinic_admin"):
        manager.require(MANAGE_REMINDERS, role="clinic_admin")


def test_the_authorization_header_must_be_a_bearer_token() -> None:
    assert bearer_token("Bearer abc") == "abc"
    for header in (None, "", "Basic abc", "Bearer "):
        with pytest.raises(AuthError):
            bearer_token(header)


def test_production_refuses_shared_secrets_and_needs_a_public_key() -> None:
    public = {"jwt_public_key": KEY.public_pem, "jwt_issuer": PRODUCTION_ISSUER}
    public |= OTHER_PRODUCTION_SECRETS
    with pytest.raises(ValueError, match="JWT_SECRET"):
        Settings(env="production", jwt_secret=DEVELOPMENT_JWT_SECRET, **public)
    with pytest.raises(ValueError, match="JWT_SECRET"):
        Settings(env="production", jwt_secret="x" * 64, **public)
    with pytest.raises(ValueError, match="JWT_PUBLIC_KEY"):
        Settings(env="production", jwt_issuer=PRODUCTION_ISSUER, **OTHER_PRODUCTION_SECRETS)
    with pytest.raises(ValueError, match="JWT_ISSUER"):
        Settings(env="production", jwt_public_key=KEY.public_pem, **OTHER_PRODUCTION_SECRETS)
    with pytest.raises(ValueError, match="JWT_JWKS_URL"):
        Settings(
            env="production",
            jwt_jwks_url="http://id/jwks",
            jwt_issuer=PRODUCTION_ISSUER,
            **OTHER_PRODUCTION_SECRETS,
        )
    assert Settings(env="production", **public).env == "production"


def test_a_public_key_that_is_not_a_pem_is_refused_naming_the_field() -> None:
    with pytest.raises(ValueError, match="JWT_PUBLIC_KEY"):
        Settings(jwt_public_key="not a key")


def test_a_public_key_from_an_env_var_may_carry_escaped_newlines() -> None:
    escaped = KEY.public_pem.replace("\n", "\\n")

    assert verify(
        issue_token(KEY, user_id="u", clinic_id="c", role="staff"),
        Settings(env="test", jwt_public_key=escaped),
    )


def test_the_development_pair_is_made_once_and_its_private_key_kept_private(tmp_path) -> None:
    directory = tmp_path / "dev-jwt"
    threads = [
        threading.Thread(target=development_signing_key, args=(directory,)) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    private = development_signing_key(directory)
    assert development_public_key(directory).kid == private.kid
    assert stat.S_IMODE(os.stat(directory / "private.pem").st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["dev-jwt"]  # no staging left behind


def test_dev_token_is_verified_by_development_settings(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("REENGAGE_CACHE", str(tmp_path))

    devtoken.main(["--role", "manager", "--clinic", "clinic-x"])
    identity = verify(capsys.readouterr().out.strip(), Settings(env="development"))

    assert identity.clinic_id == "clinic-x" and identity.role == "manager"
    assert Path(tmp_path, "dev-jwt", "private.pem").exists()
