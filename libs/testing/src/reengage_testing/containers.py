"""Kafka and MongoDB in containers, for tests on machines where a Docker engine answers.

Machines without one use deploy/local/ instead (see conftest.py). The broker is the official
Apache Kafka image; it learns the port Docker mapped only after it started, so it waits for a
start script that names its advertised listener (as Testcontainers for Java does).
"""

import shutil
import subprocess

from testcontainers.community.mongodb import MongoDbContainer
from testcontainers.core.container import DockerContainer
from testcontainers.core.wait_strategies import LogMessageWaitStrategy

KAFKA_IMAGE = "apache/kafka:4.1.1"
MONGO_IMAGE = "mongo:8.0"
_START_SCRIPT = "/tmp/reengage-start.sh"


def docker_engine_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(["docker", "info"], capture_output=True, timeout=20, check=False)
    return probe.returncode == 0


class ApacheKafkaContainer(DockerContainer):
    def __init__(self, image: str = KAFKA_IMAGE) -> None:
        super().__init__(image)
        self.with_exposed_ports(9092)
        self.with_envs(
            KAFKA_NODE_ID="1",
            KAFKA_PROCESS_ROLES="broker,controller",
            KAFKA_LISTENERS="PLAINTEXT://0.0.0.0:9092,BROKER://0.0.0.0:9093,CONTROLLER://0.0.0.0:9094",
            KAFKA_LISTENER_SECURITY_PROTOCOL_MAP="PLAINTEXT:PLAINTEXT,BROKER:PLAINTEXT,CONTROLLER:PLAINTEXT",
            KAFKA_INTER_BROKER_LISTENER_NAME="BROKER",
            KAFKA_CONTROLLER_LISTENER_NAMES="CONTROLLER",
            KAFKA_CONTROLLER_QUORUM_VOTERS="1@localhost:9094",
            KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR="1",
            KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR="1",
            KAFKA_TRANSACTION_STATE_LOG_MIN_ISR="1",
            KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS="0",
        )
        self.with_command(
            ["sh", "-c", f"while [ ! -f {_START_SCRIPT} ]; do sleep 0.1; done; . {_START_SCRIPT}"]
        )

    def start(self) -> "ApacheKafkaContainer":
        super().start()
        advertised = f"PLAINTEXT://{self.bootstrap_server()},BROKER://localhost:9093"
        script = f"export KAFKA_ADVERTISED_LISTENERS={advertised}\nexec /etc/kafka/docker/run\n"
        self.exec(["sh", "-c", f"printf '%s' '{script}' > {_START_SCRIPT}"])
        LogMessageWaitStrategy("Kafka Server started").with_startup_timeout(120).wait_until_ready(
            self
        )
        return self

    def bootstrap_server(self) -> str:
        return f"{self.get_container_host_ip()}:{self.get_exposed_port(9092)}"


def start_containers() -> tuple[ApacheKafkaContainer, MongoDbContainer]:
    kafka = ApacheKafkaContainer().start()
    mongo = MongoDbContainer(MONGO_IMAGE).start()
    return kafka, mongo
