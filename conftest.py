"""Fixtures every suite shares.

Each run isolates itself on the shared servers with a topic prefix and database prefix of its
own, so tests pass while `./dev up` runs and never touch its data; both are removed at the end.
"""

import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator

import pytest

RUN_ID = uuid.uuid4().hex[:8]
os.environ["ENV"] = "test"
os.environ["KAFKA_TOPIC_PREFIX"] = f"test-{RUN_ID}."
os.environ["MONGO_DB_PREFIX"] = f"test_{RUN_ID}_"
os.environ.setdefault("KAFKA_PARTITIONS", "2")
# Every estimate and stats answer exact: tests change and read in the same second
# (reengage_common.recent).
os.environ.setdefault("ESTIMATE_STALE_SECONDS", "0")
os.environ.setdefault("STATS_STALE_SECONDS", "0")

from aiokafka.admin import AIOKafkaAdminClient  # noqa: E402
from pymongo import AsyncMongoClient  # noqa: E402

# Imported before pytest collects gateway/tests: its importlib mode would otherwise register
# the folder `gateway/` under that name and hide the real package.
import gateway  # noqa: E402, F401
from reengage_common.settings import Settings, load_settings  # noqa: E402


@pytest.fixture(scope="session")
def settings_for() -> Callable[..., Settings]:
    """Settings of a service inside this run's isolated topics and databases."""

    def make(
        service: str, settings_class: type[Settings] = Settings, **overrides: object
    ) -> Settings:
        return settings_class(service=service, **overrides)

    return make


def _use_containers() -> bool:
    """REENGAGE_INFRA=containers|local chooses; unset, a Docker engine that answers decides."""
    choice = os.environ.get("REENGAGE_INFRA", "")
    if choice:
        return choice == "containers"
    from reengage_testing.containers import docker_engine_answers

    return docker_engine_answers()


@pytest.fixture(scope="session")
def containers() -> Iterator[None]:
    """Start Kafka and MongoDB with testcontainers where Docker exists; else use deploy/local."""
    if not _use_containers():
        yield
        return
    from reengage_testing.containers import start_containers

    kafka, mongo = start_containers()
    os.environ["KAFKA_BOOTSTRAP_SERVERS"] = kafka.bootstrap_server()
    os.environ["MONGO_URL"] = mongo.get_connection_url()
    try:
        yield
    finally:
        kafka.stop()
        mongo.stop()


@pytest.fixture(scope="session")
async def infra(containers: None) -> AsyncIterator[Settings]:
    """The real Kafka broker and MongoDB-protocol server; cleaned of this run's data afterwards."""
    settings = load_settings("tests")
    mongo: AsyncMongoClient = AsyncMongoClient(settings.mongo_url, serverSelectionTimeoutMS=5000)
    try:
        await mongo.admin.command("ping")
    except Exception as exc:
        pytest.fail(
            f"MongoDB-protocol server not reachable at {settings.mongo_url}: {exc}. Run ./dev test, or deploy/local/infra.sh start"
        )
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    try:
        await admin.start()
    except Exception as exc:
        pytest.fail(
            f"Kafka not reachable at {settings.kafka_bootstrap_servers}: {exc}. Run ./dev test"
        )
    yield settings
    for name in await mongo.list_database_names():
        if name.startswith(settings.mongo_db_prefix):
            await mongo.drop_database(name)
    ours = [t for t in await admin.list_topics() if t.startswith(settings.kafka_topic_prefix)]
    if ours:
        await admin.delete_topics(ours)
    await admin.close()
    await mongo.close()
