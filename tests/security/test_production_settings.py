"""What production refuses, setting by setting (the settings alone; the process starts are in
test_production_start.py)."""

import pytest

from dispatch_svc.config import DispatchSettings
from reengage_common.settings import Settings
from tracking_svc.config import TrackingSettings

from .test_production_start import GOOD_PRODUCTION

GOOD = {name.lower(): value for name, value in GOOD_PRODUCTION.items()}


def test_no_env_means_production(monkeypatch) -> None:
    monkeypatch.delenv("ENV", raising=False)

    with pytest.raises(ValueError, match="production refuses to start"):
        Settings()
    assert Settings(**GOOD).env == "production"


@pytest.mark.parametrize("mode", ["development", "test"])
def test_development_and_test_accept_the_development_defaults(mode) -> None:
    for settings_class in (Settings, DispatchSettings, TrackingSettings):
        assert settings_class(env=mode).development_mode


def test_production_names_every_problem_at_once() -> None:
    with pytest.raises(ValueError) as refused:
        TrackingSettings(env="production")

    message = str(refused.value)
    for setting in [
        "JWT_PUBLIC_KEY",
        "JWT_ISSUER",
        "LINK_SECRET",
        "PUBLIC_BASE_URL",
        "TWILIO_AUTH_TOKEN",
        "EMAIL_WEBHOOK_SECRET",
        "FALLBACK_BOOKING_URL",
    ]:
        assert setting in message


@pytest.mark.parametrize("settings_class", [DispatchSettings, TrackingSettings])
def test_production_refuses_the_default_twilio_token(settings_class) -> None:
    good = {**GOOD}
    del good["twilio_auth_token"]

    with pytest.raises(ValueError, match="TWILIO_AUTH_TOKEN: the development value"):
        settings_class(env="production", **good)
    assert settings_class(env="production", **GOOD).env == "production"


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("link_secret", "short-secret"),
        ("email_webhook_secret", "short"),
        ("public_base_url", "http://links.clinic-platform.example"),
        ("public_base_url", "https://127.0.0.1:8104"),
        ("public_base_url", "https://localhost"),
        ("public_base_url", "https://[::1]/"),
        ("fallback_booking_url", "http://clinic-platform.example/book"),
        ("fallback_booking_url", "https://brightsmiles.example/book"),  # the demo clinic's
        ("jwt_jwks_url", "http://id.clinic-platform.example/jwks"),
    ],
)
def test_production_refuses_an_unsafe_value(setting, value) -> None:
    with pytest.raises(ValueError, match=setting.upper()):
        TrackingSettings(env="production", **{**GOOD, setting: value})


def test_parts_that_use_no_link_or_provider_secret_need_none() -> None:
    # The gateway and campaign/audience services never sign links nor talk to Twilio: holding
    # those secrets would only spread them.
    only_tokens = {"jwt_public_key": GOOD["jwt_public_key"], "jwt_issuer": GOOD["jwt_issuer"]}

    assert Settings(env="production", **only_tokens).env == "production"
