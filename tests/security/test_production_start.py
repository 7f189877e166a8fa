"""Production is the default: a part started with no ENV refuses the development secrets,
naming every setting at once; development mode says so in its first log line and /readyz.

Real processes (`python -m <part>`), started as a deployment would start them.
"""

import json
import time
from pathlib import Path

import httpx

from reengage_common.auth import generate_signing_key
from reengage_common.settings import DEVELOPMENT_JWT_SECRET, DEVELOPMENT_LINK_SECRET
from reengage_testing import ServiceProcess, eventually

# What a deployment might inherit from copying the local defaults: every development value.
DEVELOPMENT_VALUES = {
    "JWT_SECRET": DEVELOPMENT_JWT_SECRET,
    "LINK_SECRET": DEVELOPMENT_LINK_SECRET,
    "TWILIO_AUTH_TOKEN": "dev-twilio-token",
    "PUBLIC_BASE_URL": "http://127.0.0.1:8104",
}
# Whatever the test run's environment says about these, the process must not see it.
SECURITY_SETTINGS = [
    "ENV",
    "JWT_PUBLIC_KEY",
    "JWT_JWKS_URL",
    "JWT_SECRET",
    "JWT_ISSUER",
    "LINK_SECRET",
    "TWILIO_AUTH_TOKEN",
    "EMAIL_WEBHOOK_SECRET",
    "FALLBACK_BOOKING_URL",
    "PUBLIC_BASE_URL",
]
GOOD_PRODUCTION = {
    "JWT_PUBLIC_KEY": generate_signing_key().public_pem,
    "JWT_ISSUER": "https://id.clinic-platform.example",
    "LINK_SECRET": "a-production-link-secret-of-40-characters",
    "PUBLIC_BASE_URL": "https://links.clinic-platform.example",
    "TWILIO_AUTH_TOKEN": "0123456789abcdef0123456789abcdef",
    "EMAIL_WEBHOOK_SECRET": "an-email-webhook-secret-of-40-characters",
    "FALLBACK_BOOKING_URL": "https://clinic-platform.example/book",
}


def refusal_of(module: str, env: dict[str, str], tmp_path: Path) -> str:
    """Start `module` as production would; it must exit 2. Its output, for the reasons."""
    log = tmp_path / f"{module}.log"
    process = ServiceProcess(module, env, str(log), unset=SECURITY_SETTINGS).start()
    assert process.process is not None
    try:
        code = process.process.wait(timeout=60)
    finally:
        process.kill()
    output = log.read_text()
    assert code == 2, f"{module} did not refuse to start (exit {code}):\n{output}"
    assert "production refuses to start" in output
    return output


def test_tracking_svc_with_no_env_and_development_secrets_names_each_setting(tmp_path) -> None:
    output = refusal_of("tracking_svc", DEVELOPMENT_VALUES, tmp_path)

    for setting in [
        "JWT_SECRET",
        "JWT_PUBLIC_KEY",
        "JWT_ISSUER",
        "LINK_SECRET",
        "PUBLIC_BASE_URL",
        "TWILIO_AUTH_TOKEN",
        "EMAIL_WEBHOOK_SECRET",
        "FALLBACK_BOOKING_URL",
    ]:
        assert setting in output, f"{setting} not named:\n{output}"
    assert "Traceback" not in output  # an operator reads reasons, not a stack


def test_gateway_with_no_env_refuses_the_development_jwt_secret(tmp_path) -> None:
    output = refusal_of("gateway", {"JWT_SECRET": DEVELOPMENT_JWT_SECRET}, tmp_path)

    for setting in ["JWT_SECRET", "JWT_PUBLIC_KEY", "JWT_ISSUER"]:
        assert setting in output, f"{setting} not named:\n{output}"


def test_dispatch_svc_in_production_refuses_the_default_twilio_token(tmp_path) -> None:
    env = {**GOOD_PRODUCTION, "ENV": "production"}
    del env["TWILIO_AUTH_TOKEN"]  # the default: the local stand-in's public token

    output = refusal_of("dispatch_svc", env, tmp_path)

    assert "TWILIO_AUTH_TOKEN" in output
    for fine in ["LINK_SECRET", "PUBLIC_BASE_URL", "JWT_PUBLIC_KEY"]:
        assert f"{fine}:" not in output


async def started_gateway(env: dict[str, str], tmp_path: Path) -> tuple[ServiceProcess, Path]:
    log = tmp_path / "gateway.log"
    gateway = ServiceProcess("gateway", env, str(log), unset=SECURITY_SETTINGS).start()
    async with httpx.AsyncClient(base_url=gateway.url, timeout=2) as client:

        async def answers() -> bool:
            assert gateway.process is not None and gateway.process.poll() is None, log.read_text()
            try:
                return (await client.get("/healthz")).status_code == 200
            except httpx.HTTPError:
                return False

        await eventually(answers, within=60, interval=0.2)
    return gateway, log


def first_log_line(log: Path) -> dict[str, object]:
    deadline = time.monotonic() + 10
    while not log.read_text().strip() and time.monotonic() < deadline:
        time.sleep(0.1)
    return json.loads(log.read_text().splitlines()[0])


async def test_development_mode_says_so_in_its_first_log_line_and_readyz(tmp_path) -> None:
    gateway, log = await started_gateway({"ENV": "development"}, tmp_path)
    try:
        async with httpx.AsyncClient(base_url=gateway.url, timeout=5) as client:
            ready = (await client.get("/readyz")).json()
    finally:
        gateway.stop()

    assert ready["mode"] == "development"
    first = first_log_line(log)
    assert first["event"] == "service.starting"
    assert first["mode"] == "development"
    assert "development mode" in str(first["note"])


async def test_a_production_start_with_its_own_secrets_runs_and_says_production(tmp_path) -> None:
    gateway, log = await started_gateway(GOOD_PRODUCTION, tmp_path)  # no ENV at all
    try:
        async with httpx.AsyncClient(base_url=gateway.url, timeout=5) as client:
            ready = (await client.get("/readyz")).json()
    finally:
        gateway.stop()

    assert ready["mode"] == "production"
    assert first_log_line(log)["mode"] == "production"
