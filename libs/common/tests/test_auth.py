from datetime import UTC, datetime, timedelta

import jwt
import pytest

from reengage_common.auth import (
    MANAGE_REMINDERS,
    VIEW_ANALYTICS,
    AuthError,
    PermissionDenied,
    bearer_token,
    issue_token,
    verify_token,
)
from reengage_common.settings import DEVELOPMENT_JWT_SECRET, Settings

SECRET = "a-test-secret-that-is-long-enough-0001"


def test_a_valid_token_gives_the_identity_it_claims() -> None:
    token = issue_token(SECRET, user_id="u-1", clinic_id="clinic-a", role="clinic_admin")

    identity = verify_token(token, SECRET)

    assert identity.user_id == "u-1"
    assert identity.clinic_id == "clinic-a"
    assert identity.role == "clinic_admin"
    assert identity.permissions == {VIEW_ANALYTICS, MANAGE_REMINDERS}


def test_a_token_signed_with_another_secret_is_refused() -> None:
    token = issue_token(
        "another-secret-another-secret-0002", user_id="u", clinic_id="c", role="staff"
    )

    with pytest.raises(AuthError, match="invalid token"):
        verify_token(token, SECRET)


def test_an_expired_token_is_refused() -> None:
    issued = datetime.now(UTC) - timedelta(hours=2)
    token = issue_token(
        SECRET, user_id="u", clinic_id="c", role="staff", ttl=timedelta(hours=1), now=issued
    )

    with pytest.raises(AuthError, match="expired"):
        verify_token(token, SECRET)


def test_a_token_without_a_clinic_or_with_alg_none_is_refused() -> None:
    no_clinic = jwt.encode({"sub": "u"}, SECRET, algorithm="HS256")
    unsigned = jwt.encode({"sub": "u", "clinic_id": "c"}, None, algorithm="none")

    with pytest.raises(AuthError):
        verify_token(no_clinic, SECRET)
    with pytest.raises(AuthError):
        verify_token(unsigned, SECRET)


def test_permissions_and_roles_are_required_as_asked() -> None:
    staff = verify_token(issue_token(SECRET, user_id="u", clinic_id="c", role="staff"), SECRET)
    manager = verify_token(issue_token(SECRET, user_id="u", clinic_id="c", role="manager"), SECRET)

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


def test_production_refuses_to_start_on_the_development_secret() -> None:
    with pytest.raises(ValueError, match="JWT_SECRET"):
        Settings(env="production", jwt_secret=DEVELOPMENT_JWT_SECRET)
    assert Settings(env="production", jwt_secret="x" * 40).env == "production"
