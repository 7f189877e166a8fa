"""Servers of the fault suite's own, which it may kill: a three-broker KRaft cluster from the
Kafka jars `./dev` installs, and a PostgreSQL cluster with FerretDB in front of it from the
binaries `./dev` installs. Each on free ports and in a temporary directory; the shared servers
of `./dev up` and of the rest of the suite are never touched.
"""

import contextlib
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from reengage_testing import free_port

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("REENGAGE_CACHE", Path.home() / ".cache" / "reengage"))
KAFKA_VERSION = os.environ.get("KAFKA_VERSION", "4.1.1")
KAFKA_LIBS = CACHE / f"kafka-{KAFKA_VERSION}" / "libs"
FERRETDB_BIN = CACHE / "bin" / "ferretdb"
MAILPIT_BIN = CACHE / "bin" / "mailpit"
PG_MAJOR = os.environ.get("PG_MAJOR", "15")
# As root the PostgreSQL server must run as another user, as deploy/local/postgres.sh does.
PG_OS_USER = "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def wait_for_port(port: int, within: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + within
    while not port_open(port):
        if time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{what} did not listen on {port} within {within}s:\n{tail}")
        time.sleep(0.2)


def kill(process: subprocess.Popen[bytes] | None) -> None:
    """SIGKILL: what a crash of the machine's process looks like to its peers."""
    if process is not None and process.poll() is None:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)


@dataclass
class Broker:
    node_id: int
    port: int
    controller_port: int
    data: Path
    props: Path
    log: Path
    process: subprocess.Popen[bytes] | None = None


def _java(*args: str, heap: str = "-Xmx384m") -> list[str]:
    return [
        "java",
        heap,
        "-XX:+UseG1GC",
        "-XX:TieredStopAtLevel=1",  # quicker start; these brokers live for minutes
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={ROOT / 'deploy' / 'local' / 'kafka-log4j2.xml'}",
        "-cp",
        f"{KAFKA_LIBS}/*",
        *args,
    ]


@dataclass
class KafkaCluster:
    """Three combined broker+controller nodes: replication factor 3, min.insync.replicas 2."""

    home: Path
    brokers: list[Broker] = field(default_factory=list)

    @property
    def bootstrap(self) -> str:
        return ",".join(f"127.0.0.1:{b.port}" for b in self.brokers)

    def start(self) -> None:
        if not KAFKA_LIBS.is_dir():
            raise RuntimeError(f"no Kafka jars in {KAFKA_LIBS}: run ./dev up (or ./dev test) once")
        self.brokers = [
            Broker(
                n,
                free_port(),
                free_port(),
                self.home / f"broker-{n}",
                self.home / f"broker-{n}.properties",
                self.home / f"broker-{n}.log",
            )
            for n in (1, 2, 3)
        ]
        voters = ",".join(f"{b.node_id}@127.0.0.1:{b.controller_port}" for b in self.brokers)
        cluster_id = (
            subprocess.run(
                _java("kafka.tools.StorageTool", "random-uuid"), capture_output=True, check=True
            )
            .stdout.decode()
            .split()[-1]
        )
        for broker in self.brokers:
            broker.props.write_text(_broker_properties(broker, voters))
            subprocess.run(
                _java(
                    "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(broker.props)
                ),
                capture_output=True,
                check=True,
            )
        for broker in self.brokers:
            self.start_broker(broker)
        for broker in self.brokers:
            wait_for_port(broker.port, 90, f"kafka broker {broker.node_id}", broker.log)

    def start_broker(self, broker: Broker) -> None:
        with broker.log.open("ab") as log:
            broker.process = subprocess.Popen(
                _java("kafka.Kafka", str(broker.props)),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def controller(self) -> Broker:
        """The active controller: the KRaft quorum's leader of the latest epoch, as the
        live nodes record it in their `quorum-state` (the jars hold no quorum tool)."""
        latest = (-1, -1)
        for broker in self.brokers:
            state = broker.data / "__cluster_metadata-0" / "quorum-state"
            with contextlib.suppress(OSError, ValueError):
                held = json.loads(state.read_text())
                latest = max(latest, (held.get("leaderEpoch", -1), held.get("leaderId", -1)))
        return next(b for b in self.brokers if b.node_id == latest[1])

    def stop(self) -> None:
        for broker in self.brokers:
            kill(broker.process)


def _broker_properties(broker: Broker, voters: str) -> str:
    return f"""process.roles=broker,controller
node.id={broker.node_id}
controller.quorum.voters={voters}
listeners=PLAINTEXT://127.0.0.1:{broker.port},CONTROLLER://127.0.0.1:{broker.controller_port}
advertised.listeners=PLAINTEXT://127.0.0.1:{broker.port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs={broker.data}
num.partitions=2
auto.create.topics.enable=true
default.replication.factor=3
min.insync.replicas=2
offsets.topic.replication.factor=3
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
share.coordinator.state.topic.replication.factor=3
share.coordinator.state.topic.min.isr=2
group.initial.rebalance.delay.ms=0
unclean.leader.election.enable=false
num.network.threads=1
num.io.threads=2
log.segment.bytes=16777216
"""


@dataclass
class Database:
    """PostgreSQL of our own (initdb in a temporary directory) and FerretDB in front of it."""

    home: Path
    pg_port: int = 0
    mongo_port: int = 0
    ferretdb: subprocess.Popen[bytes] | None = None

    @property
    def mongo_url(self) -> str:
        return f"mongodb://127.0.0.1:{self.mongo_port}"

    @property
    def pg_data(self) -> Path:
        return self.home / "data"

    def start(self) -> None:
        if not FERRETDB_BIN.exists():
            raise RuntimeError(f"no FerretDB at {FERRETDB_BIN}: run ./dev up (or ./dev test) once")
        self.pg_port, self.mongo_port = free_port(), free_port()
        os.chown(self.home, pwd.getpwnam(PG_OS_USER).pw_uid, -1)
        self._as_pg(
            "initdb",
            f"--pgdata={self.pg_data}",
            "--username=postgres",
            "--encoding=UTF8",
            "--locale=C",
            "--auth=trust",
        )
        with (self.pg_data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"listen_addresses = '127.0.0.1'\nport = {self.pg_port}\n"
                f"unix_socket_directories = '{self.home}'\nmax_connections = 200\n"
                "synchronous_commit = off\n"
            )
        self.start_postgres()
        self._as_pg("createdb", "-h", str(self.home), "-p", str(self.pg_port), "-U", "postgres",
                    "ferretdb")  # fmt: skip
        self.start_ferretdb()

    def start_postgres(self) -> None:
        self._as_pg("pg_ctl", "start", "-w", "-t", "60", "-D", str(self.pg_data),
                    "-l", str(self.home / "postgres.log"))  # fmt: skip

    def stop_postgres(self) -> None:
        """A fast shutdown: open sessions (FerretDB's pool) are cut, as in a restart."""
        self._as_pg("pg_ctl", "stop", "-w", "-m", "fast", "-D", str(self.pg_data))

    def start_ferretdb(self) -> None:
        log = self.home / "ferretdb.log"
        state = self.home / "ferretdb-state"
        state.mkdir(exist_ok=True)
        with log.open("ab") as out:
            self.ferretdb = subprocess.Popen(
                [
                    str(FERRETDB_BIN),
                    "--handler=postgresql",
                    f"--postgresql-url=postgres://postgres@127.0.0.1:{self.pg_port}/ferretdb"
                    "?pool_max_conns=100",
                    f"--state-dir={state}",
                    f"--listen-addr=127.0.0.1:{self.mongo_port}",
                    f"--debug-addr=127.0.0.1:{free_port()}",
                    "--telemetry=disable",
                    "--log-level=WARN",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for_port(self.mongo_port, 30, "ferretdb", log)

    def kill_ferretdb(self) -> None:
        kill(self.ferretdb)

    def stop(self) -> None:
        self.kill_ferretdb()
        with contextlib.suppress(subprocess.CalledProcessError):
            self._as_pg("pg_ctl", "stop", "-w", "-m", "immediate", "-D", str(self.pg_data))

    def _as_pg(self, tool: str, *args: str) -> None:
        binary = Path(f"/usr/lib/postgresql/{PG_MAJOR}/bin/{tool}")
        command = [str(binary if binary.exists() else shutil.which(tool) or tool), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", PG_OS_USER, "--", *command]
        subprocess.run(command, cwd="/", capture_output=True, check=True, timeout=120)


@dataclass
class Mailpit:
    """An SMTP server of our own: the shared one keeps at most its --max messages, and a
    benchmark beside us could push ours out before they are counted."""

    home: Path
    smtp_port: int = 0
    http_port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def start(self) -> None:
        self.smtp_port, self.http_port = free_port(), free_port()
        log = self.home / "mailpit.log"
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    str(MAILPIT_BIN),
                    f"--smtp=127.0.0.1:{self.smtp_port}",
                    f"--listen=127.0.0.1:{self.http_port}",
                    f"--database={self.home / 'mailpit.db'}",
                    "--max=0",
                    "--smtp-auth-accept-any",
                    "--smtp-auth-allow-insecure",
                    "--smtp-disable-rdns",
                    "--disable-version-check",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for_port(self.http_port, 30, "mailpit", log)

    def stop(self) -> None:
        kill(self.process)


@dataclass
class OwnServers:
    cluster: KafkaCluster
    database: Database
    mailpit: Mailpit


@contextlib.contextmanager
def own_servers() -> Iterator[OwnServers]:
    """The cluster, the database and Mailpit, stopped and deleted at the end (kept with
    FAULTS_KEEP=1, to read their logs)."""
    home = Path(tempfile.mkdtemp(prefix="reengage-faults-"))
    (home / "db").mkdir()
    (home / "kafka").mkdir()
    own = OwnServers(KafkaCluster(home / "kafka"), Database(home / "db"), Mailpit(home))
    os.chmod(home, 0o755)  # the postgres user passes through to its own directory
    try:
        own.mailpit.start()
        own.database.start()
        own.cluster.start()
        yield own
    finally:
        own.cluster.stop()
        own.database.stop()
        own.mailpit.stop()
        if not os.environ.get("FAULTS_KEEP"):
            shutil.rmtree(home, ignore_errors=True)
