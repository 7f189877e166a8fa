"""A throw-away listmonk instance for tests/bench/peers.py: its own database in the local
PostgreSQL server, its own config in a temporary directory, HTTP on a free 127.0.0.1 port,
SMTP into the given server; all of it stopped, dropped and deleted afterwards.

It drives a listmonk v6.2.0 binary you built from its source; nothing here builds one.
"""

import json
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from reengage_testing import free_port

PG_PORT = int(os.environ.get("PG_PORT", "5432"))
SENDER = "hello@brightsmiles.example"
# Tuned from listmonk v6.2.0's source (internal/manager): each of `app.concurrency` workers
# sends `app.message_rate` messages, then sleeps a whole second, and its count only resets
# there; so a rate above its share of the campaign never sleeps. The rate also sizes the
# manager's two queues (concurrency x rate x 2 messages): capped so they stay tens of MB.
# `app.batch_size` keeps its default of 1,000 subscribers per query: the fetch runs ahead of
# the workers into those queues, so larger batches only make fewer, longer queries.
LISTMONK_MAX_RATE = 10_000
LISTMONK_API_USER = "bench-api"
# Shaped like our email (README: greeting, booking link, unsubscribe link, clinic footer),
# as HTML with a text alternative; `template_id` wraps it in nothing more than itself.
LISTMONK_BODY = """<p>Hi {{ .Subscriber.FirstName }}, it has been a while since your last visit.
20% off your next cleaning with SMILE20. Book: <a href="http://127.0.0.1:8104/b/{{ .Subscriber.UUID }}">
http://127.0.0.1:8104/b/{{ .Subscriber.UUID }}</a></p>
<p>To stop receiving these emails, unsubscribe here:
<a href="{{ UnsubscribeURL }}">{{ UnsubscribeURL }}</a></p>
<p>--<br>Bright Smiles Dental<br>100 Main Street, Springfield, IL 62701<br>(555) 010-0100</p>
"""
LISTMONK_ALTBODY = """Hi {{ .Subscriber.FirstName }}, it has been a while since your last visit.
20% off your next cleaning with SMILE20. Book: http://127.0.0.1:8104/b/{{ .Subscriber.UUID }}

To stop receiving these emails, unsubscribe here: {{ UnsubscribeURL }}

--
Bright Smiles Dental
100 Main Street, Springfield, IL 62701
(555) 010-0100
"""


def local_pg_admin(port: int = PG_PORT) -> str:
    """libpq conninfo of the local server's superuser over its socket, where
    deploy/local/postgres.sh trusts the server's own OS user (and root)."""
    home = os.environ.get("PG_HOME")
    if not home and os.geteuid() == 0:
        home = f"/var/lib/postgresql/reengage-{port}"
    if not home:
        cache = Path(os.environ.get("REENGAGE_CACHE", Path.home() / ".cache" / "reengage"))
        home = str(cache / "data" / f"postgres-{port}")
    return f"host={home} port={port} user=postgres dbname=postgres"


def psql(conninfo: str, sql: str) -> str:
    """Runs `sql` one statement at a time (CREATE DATABASE refuses a transaction block)."""
    command = ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", conninfo, "-f", "-"]
    done = subprocess.run(command, input=sql, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"psql: {done.stderr.strip()}")
    return done.stdout.strip()


def write_config(directory: Path, port: int, database: str, password: str, pg_port: int) -> Path:
    # The database's name is also its owner role's: dropping both leaves nothing behind.
    config = directory / "config.toml"
    config.write_text(
        f'[app]\naddress = "127.0.0.1:{port}"\n\n'
        f'[db]\nhost = "127.0.0.1"\nport = {pg_port}\nuser = "{database}"\n'
        f'password = "{password}"\ndatabase = "{database}"\nssl_mode = "disable"\n'
        'max_open = 25\nmax_idle = 25\nmax_lifetime = "300s"\nparams = ""\n'
    )
    return config


def install_listmonk(binary: Path, config: Path) -> str:
    """`--install --yes` with a super admin and an API user; returns the API's auth header."""
    env = {
        **os.environ,
        "LISTMONK_ADMIN_USER": "bench",
        "LISTMONK_ADMIN_PASSWORD": secrets.token_hex(8),
        "LISTMONK_ADMIN_API_USER": LISTMONK_API_USER,
    }
    command = [str(binary), "--config", str(config), "--install", "--yes"]
    done = subprocess.run(
        command, cwd=config.parent, env=env, capture_output=True, text=True, timeout=120
    )
    token = done.stderr.partition('LISTMONK_ADMIN_API_TOKEN="')[2].partition('"')[0]
    if done.returncode or not token:
        # listmonk logs to stdout; only the token goes to stderr
        said = (done.stdout + done.stderr).strip()[-500:]
        raise RuntimeError(f"listmonk --install failed (exit {done.returncode}): {said}")
    return f"token {LISTMONK_API_USER}:{token}"


def setup_sql(
    port: int, count: int, domain: str, connections: int, smtp_host: str, smtp_port: int
) -> str:
    """Settings (read once at start-up, so written before it), and `count` subscribers in
    one single opt-in list, loaded in three statements instead of `count` API calls."""
    smtp = {
        **dict(enabled=True, host=smtp_host, port=smtp_port, auth_protocol="none"),
        **dict(username="", password="", hello_hostname="", tls_type="none"),
        **dict(tls_skip_verify=False, email_headers=[], from_addresses=[]),
        # one SMTP connection per worker; retries as listmonk's defaults
        **dict(max_conns=connections, idle_timeout="15s", wait_timeout="5s"),
        **dict(max_msg_retries=2, msg_retry_delay="10ms"),
    }
    settings = {
        "app.root_url": f"http://127.0.0.1:{port}",
        "app.from_email": f"Bright Smiles Dental <{SENDER}>",
        "app.concurrency": connections,
        "app.message_rate": min(LISTMONK_MAX_RATE, 2 * count // connections + 1),
        "app.batch_size": 1_000,
        "app.message_sliding_window": False,
        "app.check_updates": False,  # no calls out of this machine
        "smtp": [smtp],
    }
    updates = "".join(
        f"UPDATE settings SET value = '{json.dumps(value)}' WHERE key = '{key}';\n"
        for key, value in settings.items()
    )
    return updates + (
        "INSERT INTO lists (uuid, name, type, optin)"
        " VALUES (gen_random_uuid(), 'bench', 'private', 'single');\n"
        "INSERT INTO subscribers (uuid, email, name, status)"
        f" SELECT gen_random_uuid(), 'p-' || n || '@{domain}', 'Ada Lovelace ' || n,"
        f" 'enabled' FROM generate_series(1, {count}) AS n;\n"
        "INSERT INTO subscriber_lists (subscriber_id, list_id, status)"
        " SELECT s.id, l.id, 'confirmed' FROM subscribers s, lists l"
        f" WHERE l.name = 'bench' AND s.email LIKE '%@{domain}';\n"
        "ANALYZE;\n"
        "SELECT id FROM lists WHERE name = 'bench';\n"
    )


def create_database(pg_admin: str) -> tuple[str, str]:
    """(name, password) of a new database owned by a new role of the same name."""
    name, password = f"listmonk_bench_{secrets.token_hex(4)}", secrets.token_hex(16)
    psql(pg_admin, f"CREATE ROLE {name} LOGIN PASSWORD '{password}';\n")
    psql(pg_admin, f"CREATE DATABASE {name} OWNER {name};\n")
    return name, password


def drop_database(pg_admin: str, name: str) -> None:
    psql(pg_admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE);\nDROP ROLE IF EXISTS {name};\n")


def start_process(binary: Path, config: Path) -> subprocess.Popen[bytes]:
    with (config.parent / "listmonk.log").open("wb") as log:
        return subprocess.Popen(
            [str(binary), "--config", str(config)],
            cwd=config.parent,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_ready(api: httpx.Client, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"listmonk exited with {process.returncode}: {tail(log)}")
        try:
            if api.get("/api/health").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"listmonk not ready after 60 s: {tail(log)}")


def tail(log: Path, size: int = 600) -> str:
    return log.read_text(errors="replace")[-size:].strip() if log.exists() else "(no log)"


@dataclass(frozen=True)
class Listmonk:
    api: httpx.Client  # base URL and auth header set
    process: subprocess.Popen[bytes]
    list_id: int
    settings: str  # the tuning, for the notes
    log: Path

    def create_campaign(self) -> int:
        template = self.api.post(
            "/api/templates",
            json={"name": "bench", "type": "campaign", "body": '{{ template "content" . }}'},
        )
        campaign = self.api.post(
            "/api/campaigns",
            json={
                "name": "Bench recall",
                "subject": "We miss you, {{ .Subscriber.FirstName }}",
                "lists": [self.list_id],
                "from_email": f"Bright Smiles Dental <{SENDER}>",
                "content_type": "html",
                "messenger": "email",
                "type": "regular",
                "body": LISTMONK_BODY,
                "altbody": LISTMONK_ALTBODY,
                "template_id": template.raise_for_status().json()["data"]["id"],
            },
        )
        return int(campaign.raise_for_status().json()["data"]["id"])

    def running(self) -> bool:
        return self.process.poll() is None

    def start_campaign(self, campaign: int) -> None:
        answer = self.api.put(f"/api/campaigns/{campaign}/status", json={"status": "running"})
        answer.raise_for_status()


@contextmanager
def running_listmonk(
    binary: Path,
    count: int,
    domain: str,
    connections: int,
    smtp_host: str,
    smtp_port: int,
    pg_admin: str,
    pg_port: int = PG_PORT,
) -> Iterator[Listmonk]:
    """listmonk installed, tuned, loaded with `count` subscribers at `domain` and serving; on the way out
    stopped, its database dropped, its directory deleted (kept, with its log, on an error)."""
    database, password = create_database(pg_admin)
    directory = Path(tempfile.mkdtemp(prefix="listmonk-bench-"))
    process: subprocess.Popen[bytes] | None = None
    failed = True
    try:
        port = free_port()
        config = write_config(directory, port, database, password, pg_port)
        auth = install_listmonk(binary, config)
        sql = setup_sql(port, count, domain, connections, smtp_host, smtp_port)
        list_id = int(psql(f"{pg_admin} dbname={database}", sql).splitlines()[-1])
        process = start_process(binary, config)
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, headers={"Authorization": auth}, timeout=30) as api:
            wait_ready(api, process, directory / "listmonk.log")
            settings = psql(
                f"{pg_admin} dbname={database}",
                "SELECT string_agg(key || '=' || value::text, ', ' ORDER BY key) FROM settings"
                " WHERE key IN ('app.concurrency', 'app.message_rate', 'app.batch_size');",
            )
            yield Listmonk(api, process, list_id, settings, directory / "listmonk.log")
        failed = False
    finally:
        if process is not None:
            stop_process(process)
        drop_database(pg_admin, database)
        if failed:
            print(f"listmonk: its config and log are kept in {directory}")
        else:
            shutil.rmtree(directory, ignore_errors=True)
