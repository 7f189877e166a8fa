"""The deployment files look like production: no ENV (or production), no development secret,
real secrets required from the environment, only the gateway and tracking-svc published.
Development is only in the overlay, its env file and the local tooling."""

import re
from pathlib import Path
from typing import Any

import yaml

from reengage_common.settings import (
    DEVELOPMENT_JWT_ISSUER,
    DEVELOPMENT_JWT_SECRET,
    DEVELOPMENT_LINK_SECRET,
    DEVELOPMENT_TWILIO_AUTH_TOKEN,
)

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
DEVELOPMENT_VALUES = [
    DEVELOPMENT_JWT_SECRET,
    DEVELOPMENT_LINK_SECRET,
    DEVELOPMENT_TWILIO_AUTH_TOKEN,
    DEVELOPMENT_JWT_ISSUER,
    "test_dev_lob_key",
    "brightsmiles.example",
]
# tracking-svc's public port (PUBLIC_PORT) serves only /u/, /b/ and /webhooks/; 8104 is its API
PUBLISHED = {"gateway": ["8000:8000"], "tracking-svc": ["8105:8105"]}
REQUIRED_FROM_ENVIRONMENT = {
    "tracking-svc": ["LINK_SECRET", "TWILIO_AUTH_TOKEN", "EMAIL_WEBHOOK_SECRET", "PUBLIC_BASE_URL"],
    "dispatch-svc": ["LINK_SECRET", "TWILIO_AUTH_TOKEN", "PUBLIC_BASE_URL"],
    "gateway": ["JWT_ISSUER"],
}


def compose(name: str) -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / name).read_text())  # merge keys (<<) resolved


def parts(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Our services: those built from our image and run as `python -m <part>`."""
    return {
        name: service
        for name, service in document["services"].items()
        if service.get("command", [None, None, ""])[:2] == ["python", "-m"]
    }


def test_compose_runs_the_parts_as_production() -> None:
    document = compose("compose.yaml")

    assert set(parts(document)) == {*REQUIRED_FROM_ENVIRONMENT, "campaign-svc", "audience-svc"}
    assert set(parts(document)) | {"kafka", "mongo"} == set(document["services"])
    for name, service in parts(document).items():
        env = service.get("environment") or {}
        assert env.get("ENV", "production") == "production", name
        assert "JWT_SECRET" not in env, name


def test_compose_holds_no_development_secret_and_requires_the_real_ones() -> None:
    text = (DEPLOY / "compose.yaml").read_text()
    document = compose("compose.yaml")

    for value in DEVELOPMENT_VALUES:
        assert value not in text
    for name, settings in REQUIRED_FROM_ENVIRONMENT.items():
        env = parts(document)[name]["environment"]
        for setting in settings:
            # `${NAME:?message}`: compose refuses to start without it, no default
            assert re.fullmatch(rf"\$\{{{setting}:\?[^}}]+\}}", env[setting]), (name, setting)


def test_compose_publishes_only_the_gateway_and_trackings_public_port() -> None:
    published = {
        name: service["ports"]
        for name, service in compose("compose.yaml")["services"].items()
        if service.get("ports")
    }

    assert published == PUBLISHED


def test_the_image_sets_no_development_mode() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()

    assert not re.search(r"^\s*ENV\b.*\bENV=", dockerfile, re.MULTILINE)
    assert "development" not in dockerfile


def test_development_is_set_only_by_the_overlay_and_the_local_tooling() -> None:
    overlay = compose("compose.dev.yaml")

    for name in parts(compose("compose.yaml")):
        assert overlay["services"][name]["environment"]["ENV"] == "development", name
    for service in overlay["services"].values():
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), port  # a development stack stays local
    assert ': "${ENV:=development}"' in (DEPLOY / "local" / "defaults.sh").read_text()
