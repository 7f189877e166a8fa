"""deploy/compose.yaml is production-like and starts as shipped; its overlay is development.

No Docker engine runs here, so the files are read as compose reads them (compose_kit) and each
part's settings are built from exactly what its container would get: the interpolated
environment, the image's ENV and its secret files through deploy/entrypoint.sh.
"""

import importlib.util
import os
import secrets
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from compose_kit import (
    BUILD_SETTINGS,
    DEPLOY,
    Override,
    dockerfile_env,
    interpolate,
    load,
    merge,
    parts,
    secret_names,
)

from reengage_common.auth import verifier_for
from reengage_common.settings import (
    DEVELOPMENT_JWT_ISSUER,
    DEVELOPMENT_JWT_SECRET,
    DEVELOPMENT_LINK_SECRET,
    DEVELOPMENT_TWILIO_AUTH_TOKEN,
    SERVICE_PORTS,
    Settings,
)

# compose service -> (settings class, SERVICE_ROLE, PORT)
PARTS = {
    "campaign-svc": ("campaign_svc.config.CampaignSettings", "all", 8101),
    "audience-svc": ("audience_svc.config.AudienceSettings", "api", 8102),
    "audience-worker": ("audience_svc.config.AudienceSettings", "worker", 8202),
    "dispatch-svc": ("dispatch_svc.config.DispatchSettings", "api", 8103),
    "dispatch-worker": ("dispatch_svc.config.DispatchSettings", "worker", 8203),
    "tracking-svc": ("tracking_svc.config.TrackingSettings", "api", 8104),
    "tracking-worker": ("tracking_svc.config.TrackingSettings", "worker", 8204),
    "gateway": ("gateway.config.GatewaySettings", "all", 8000),
}
# tracking-svc's public port (PUBLIC_PORT) serves only /u/, /b/ and /webhooks/; 8104 is its API
PUBLISHED = {"gateway": ["8000:8000"], "tracking-svc": ["8105:8105"]}
# what an operator must give compose (else it refuses to start), besides the secret files
REQUIRED = {
    "JWT_ISSUER": "https://id.platform.example",
    "PUBLIC_BASE_URL": "https://links.clinic.example",
    "FALLBACK_BOOKING_URL": "https://clinic.example/book",
    "SMTP_HOST": "smtp.clinic.example",
    "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
    "TWILIO_FROM_NUMBER": "+13125550100",
}
DEVELOPMENT_VALUES = [
    DEVELOPMENT_JWT_SECRET,
    DEVELOPMENT_LINK_SECRET,
    DEVELOPMENT_TWILIO_AUTH_TOKEN,
    DEVELOPMENT_JWT_ISSUER,
    "test_dev_lob_key",
    "brightsmiles.example",
    "development",
]


def stack_secrets() -> ModuleType:
    spec = importlib.util.spec_from_file_location("stack_secrets", DEPLOY / "stack_secrets.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def development_stack() -> dict[str, Any]:
    return merge(load("compose.yaml"), load("compose.dev.yaml"))


def start_settings(
    name: str,
    service: dict[str, Any],
    secret_files: Path,
    environment: dict[str, str],
    tmp: Path,
) -> subprocess.CompletedProcess[str]:
    """Build a part's settings as its container would: the image's ENV, the service's
    interpolated environment, only its own secrets as files, through the image's entrypoint."""
    mounted = tmp / "run-secrets"
    mounted.mkdir(parents=True)
    for secret in secret_names(service):
        (mounted / secret).write_bytes((secret_files / secret).read_bytes())
    container = {
        **dockerfile_env(),
        **interpolate(service["environment"], environment),
        "PATH": os.environ["PATH"],
        "SECRETS_DIR": str(mounted),
        "REENGAGE_CACHE": str(tmp / "cache"),
    }
    return subprocess.run(
        ["sh", str(DEPLOY / "entrypoint.sh"), sys.executable, "-c", BUILD_SETTINGS, PARTS[name][0]],
        env={k: str(v) for k, v in container.items()},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def production_secrets(tmp_path: Path) -> Path:
    """What `stack_secrets.py make` writes, and the providers' credentials an operator adds."""
    directory = tmp_path / "secrets"
    missing = stack_secrets().make(directory)
    assert set(missing) == {"twilio_auth_token", "lob_api_key", "smtp_password"}
    for name in missing:
        (directory / name).write_text(secrets.token_urlsafe(40) + "\n")
    return directory


def test_every_part_runs_from_our_image_as_its_api_or_worker_with_replicas() -> None:
    document = load("compose.yaml")

    assert set(document["services"]) == {*PARTS, "kafka", "mongo"}
    assert set(parts(document)) == set(PARTS)
    for name, service in parts(document).items():
        _, role, port = PARTS[name]
        environment = service["environment"]
        assert environment.get("SERVICE_ROLE", "all") == role, name
        assert environment["PORT"] == str(port), name
        assert service["command"][2] == PARTS[name][0].split(".")[0], name
        assert service["deploy"]["replicas"] >= 1, name
        assert service["read_only"] is True, name
        assert "ENV" not in environment, name  # production is the image's default
        assert "JWT_SECRET" not in environment, name
    # the consumers' work spreads over several worker replicas
    for worker in ("audience-worker", "dispatch-worker", "tracking-worker"):
        assert document["services"][worker]["deploy"]["replicas"] >= 2, worker
    assert SERVICE_PORTS["tracking-svc"] == 8104


def test_every_service_has_a_health_check_on_its_own_port() -> None:
    for stack in (load("compose.yaml"), development_stack()):
        for name, service in stack["services"].items():
            check = service.get("healthcheck")
            assert check and check["test"][0] in ("CMD", "CMD-SHELL"), name
        for name, service in parts(stack).items():
            assert service["healthcheck"]["test"][-1] == "/readyz", name
    gateway = load("compose.yaml")["services"]["gateway"]
    for service in ("campaign-svc", "audience-svc", "dispatch-svc", "tracking-svc"):
        assert gateway["depends_on"][service] == {"condition": "service_healthy"}


def test_only_the_gateway_and_trackings_public_port_are_published() -> None:
    published = {
        name: service["ports"]
        for name, service in load("compose.yaml")["services"].items()
        if service.get("ports")
    }
    assert published == PUBLISHED
    assert load("compose.yaml")["services"]["tracking-svc"]["environment"]["PUBLIC_PORT"] == "8105"
    # a development stack stays on this machine, its published ports included
    for name, service in development_stack()["services"].items():
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), (name, port)


def test_kafka_and_mongodb_keep_their_data_in_volumes() -> None:
    document = load("compose.yaml")

    assert document["services"]["kafka"]["volumes"] == ["kafka-data:/var/lib/kafka/data"]
    assert document["services"]["kafka"]["environment"]["KAFKA_LOG_DIRS"] == "/var/lib/kafka/data"
    assert document["services"]["mongo"]["volumes"] == ["mongo-data:/data/db"]
    assert set(document["volumes"]) == {"kafka-data", "mongo-data"}


def test_every_secret_referenced_is_declared_as_a_file_and_made_or_asked_for() -> None:
    document = load("compose.yaml")
    declared = set(document["secrets"])
    referenced = {
        name for service in document["services"].values() for name in secret_names(service)
    }

    assert referenced == declared
    assert all(set(entry) == {"file"} for entry in document["secrets"].values())
    module = stack_secrets()
    assert declared == {*module.GENERATED, *module.PROVIDED, "mongo_url"}
    # the development overlay points every one at a public development value
    overlay = load("compose.dev.yaml")["secrets"]
    assert set(overlay) == declared
    for name, entry in overlay.items():
        assert (DEPLOY / entry["file"]).is_file(), name


def test_compose_refuses_to_start_without_each_required_setting() -> None:
    missing: list[str] = []
    interpolate(load("compose.yaml"), {}, missing)

    assert set(missing) == set(REQUIRED)


def test_the_files_hold_no_development_value_and_the_image_sets_no_mode() -> None:
    # what compose reads (its comments may name the overlay), and the whole Dockerfile
    values = yaml.safe_dump(load("compose.yaml"))
    dockerfile = (DEPLOY / "Dockerfile").read_text()

    for value in DEVELOPMENT_VALUES:
        assert value not in values, value
        assert value not in dockerfile, value
    assert "ENV" not in dockerfile_env()


def test_each_part_starts_in_production_with_what_compose_gives_it(
    production_secrets: Path, tmp_path: Path
) -> None:
    stack = interpolate(load("compose.yaml"), REQUIRED)
    for name, service in parts(stack).items():
        started = start_settings(name, service, production_secrets, REQUIRED, tmp_path / name)
        assert started.returncode == 0, (name, started.stderr[-2000:])
        _, role, port = PARTS[name]
        assert started.stdout.split() == ["production", role, str(port), "True"], name


def test_without_its_secret_files_a_part_refuses_to_start_naming_them(tmp_path: Path) -> None:
    stack = interpolate(load("compose.yaml"), REQUIRED)
    empty = tmp_path / "none"
    empty.mkdir()
    service = dict(stack["services"]["tracking-svc"], secrets=[])
    started = start_settings("tracking-svc", service, empty, REQUIRED, tmp_path / "tracking")

    assert started.returncode != 0
    for setting in ("JWT_PUBLIC_KEY", "LINK_SECRET", "TWILIO_AUTH_TOKEN", "EMAIL_WEBHOOK_SECRET"):
        assert setting in started.stderr, setting


def test_a_token_from_the_stacks_issuer_key_is_accepted_by_the_parts(
    production_secrets: Path,
) -> None:
    module = stack_secrets()
    token = module.issue_token(
        module.signing_key(production_secrets),
        user_id="operator",
        clinic_id="clinic-a",
        role="clinic_admin",
        issuer=REQUIRED["JWT_ISSUER"],
        audience="reengage",
    )
    settings = Settings(
        env="production",
        jwt_public_key=(production_secrets / "jwt_public_key").read_text(),
        jwt_issuer=REQUIRED["JWT_ISSUER"],
    )

    identity = verifier_for(settings).verify(token)

    assert identity.clinic_id == "clinic-a"
    assert oct((production_secrets / module.PRIVATE_KEY).stat().st_mode & 0o777) == "0o600"
    assert oct(production_secrets.stat().st_mode & 0o777) == "0o700"


def test_the_development_overlay_shares_one_key_pair_and_adds_the_stand_ins(tmp_path: Path) -> None:
    stack = development_stack()

    assert {"mailpit", "fakes"} <= set(stack["services"])
    assert isinstance(load("compose.dev.yaml")["services"]["gateway"]["ports"], Override)
    assert "dev-keys" in stack["volumes"]
    development = dict(
        line.split("=", 1)
        for line in (DEPLOY / "compose.dev.env").read_text().splitlines()
        if line and not line.startswith("#")
    )
    stack = interpolate(stack, development)
    dev_secrets = DEPLOY / "compose.dev-secrets"
    for name, service in parts(stack).items():
        assert service["environment"]["ENV"] == "development", name
        assert "dev-keys:/var/cache/reengage" in service["volumes"], name
        assert service["environment"]["REENGAGE_CACHE"] == "/var/cache/reengage", name
        started = start_settings(name, service, dev_secrets, development, tmp_path / name)
        assert started.returncode == 0, (name, started.stderr[-2000:])
        assert started.stdout.split()[0] == "development", name
    dispatch = stack["services"]["dispatch-worker"]
    assert dispatch["environment"]["TWILIO_API_BASE"] == "http://fakes:8030"
    assert set(dispatch["depends_on"]) >= {"kafka", "mongo", "mailpit", "fakes"}


def test_the_entrypoint_turns_secret_files_into_settings_the_environment_wins(
    tmp_path: Path,
) -> None:
    (tmp_path / "link_secret").write_text("from-a-file\n")
    (tmp_path / "jwt_public_key").write_text(
        "-----BEGIN PUBLIC KEY-----\nAAA\n-----END PUBLIC KEY-----\n"
    )
    (tmp_path / "smtp_password").write_text("")
    (tmp_path / "twilio_auth_token").write_text("file-value")
    script = 'printf "%s|%s|%s|%s" "$LINK_SECRET" "$JWT_PUBLIC_KEY" "${SMTP_PASSWORD-unset}" "$TWILIO_AUTH_TOKEN"'

    shown = subprocess.run(
        ["sh", str(DEPLOY / "entrypoint.sh"), "sh", "-c", script],
        env={"PATH": os.environ["PATH"], "SECRETS_DIR": str(tmp_path), "TWILIO_AUTH_TOKEN": "env"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    assert (
        shown == "from-a-file|-----BEGIN PUBLIC KEY-----\nAAA\n-----END PUBLIC KEY-----|unset|env"
    )
