"""The fault suite's world: its own three-broker Kafka cluster, PostgreSQL + FerretDB and
Mailpit (which it kills; the shared servers are never touched), the Twilio and Lob stand-ins,
and two replicas of every service as real processes on them, started once for the module."""

import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "deploy" / "local"))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "services" / "dispatch-svc" / "tests"))

from fault_fleet import Fleet, SimulatedClock
from fault_infra import own_servers
from fault_run import World
from kit import provider_fakes

from reengage_common.auth import generate_signing_key
from reengage_common.settings import Settings
from reengage_testing import running

SECRETS = {
    "link": "faults-link-secret-0123456789abcdef0123456789",
    "email": "faults-email-webhook-secret",
    "public_base_url": "https://links.faults.example",
}


def fleet_env(servers, providers, clock: Path, twice: Path, key_pem: str) -> dict[str, str]:
    return {
        "ENV": "test",
        "SERVICE_ROLE": "all",
        "KAFKA_BOOTSTRAP_SERVERS": servers.cluster.bootstrap,
        "KAFKA_REPLICATION_FACTOR": "3",
        "KAFKA_TOPIC_PREFIX": "faults.",
        "MONGO_URL": servers.database.mongo_url,
        "MONGO_DB_PREFIX": "faults_",
        "JWT_PUBLIC_KEY": key_pem,
        "LINK_SECRET": SECRETS["link"],
        "EMAIL_WEBHOOK_SECRET": SECRETS["email"],
        "PUBLIC_BASE_URL": SECRETS["public_base_url"],
        "TWILIO_AUTH_TOKEN": providers.twilio.config.auth_token,
        "TWILIO_ACCOUNT_SID": providers.twilio.config.account_sid,
        "TWILIO_API_BASE": providers.twilio_base,
        "LOB_API_BASE": providers.lob_base,
        "LOB_API_KEY": providers.lob.api_key,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(servers.mailpit.smtp_port),
        # quick hand-overs after a kill: a lease or claim of a dead replica expires in seconds
        "LEASE_TTL_SECONDS": "3",
        "CLAIM_TTL_SECONDS": "4",
        "SENDER_TICK_SECONDS": "0.1",
        "OUTBOX_POLL_SECONDS": "0.1",
        "SCHEDULER_INTERVAL_SECONDS": "0.2",
        "LOG_LEVEL": "WARNING",
        "FAULTS_CLOCK_FILE": str(clock),
        "FAULTS_DELIVER_TWICE_FILE": str(twice),
    }


@pytest.fixture(scope="module")
async def world() -> AsyncIterator[World]:
    key = generate_signing_key()
    logs = Path(tempfile.mkdtemp(prefix="reengage-faults-logs-"))
    with own_servers() as servers:
        async with provider_fakes() as providers:
            clock = SimulatedClock(logs / "clock")
            clock.path.write_text("0")
            twice = logs / "deliver-twice"
            env = fleet_env(servers, providers, clock.path, twice, key.public_pem)
            fleet = Fleet(env, logs, clock)
            fleet.build()
            settings = Settings(
                service="fault-suite",
                kafka_bootstrap_servers=servers.cluster.bootstrap,
                kafka_topic_prefix="faults.",
                mongo_url=servers.database.mongo_url,
            )
            async with running(fleet.all):
                print(f"\nfault suite: logs in {logs}, servers in {servers.cluster.home.parent}")
                secrets = {**SECRETS, "twilio": providers.twilio.config.auth_token}
                yield World(fleet, settings, providers, servers.mailpit.api, key, secrets, twice,
                            servers=servers)  # fmt: skip
