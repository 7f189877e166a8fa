"""What other senders achieve into the same Mailpit, for the benches to compare against.

Run by hand, with Mailpit and PostgreSQL up (`./dev up`):

    .venv/bin/python tests/bench/peers.py [--count 20000] [--connections 10]
        [--listmonk-bin PATH]

- `aiosmtplib_ceiling`: aiosmtplib alone sending ready-made ~2 KB messages over N
  connections, from the first byte sent until Mailpit holds them all: Mailpit's CPU is the
  ceiling of every sender on this machine.
- `run_listmonk`: a listmonk v6.2.0 binary you built from its source (path from
  `--listmonk-bin` or `LISTMONK_BIN`; without one it is skipped) sends one campaign to `count`
  subscribers into the same Mailpit, in a database of its own in the local PostgreSQL server,
  dropped afterwards.

Both empty Mailpit first (`DELETE /api/v1/messages`: the shared dev Mailpit loses what it
held) and send to a recipient domain of their own, then read back the times Mailpit stored
each of theirs: the end-to-end rate runs from the start to the last one, the steady rate from
the 10% to the 90% mark. Other senders into the same Mailpit meanwhile do not count, but they
share its CPU: figures are noisy here, compare those of one run.
"""

import argparse
import asyncio
import os
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from typing import Any

import aiosmtplib
import httpx
from listmonk_peer import PG_PORT, SENDER, local_pg_admin, running_listmonk, tail

SMTP_HOST = os.environ.get("SMTP_HOST", "127.0.0.1")
SMTP_PORT = int(os.environ.get("SMTP_PORT", "1025"))
MAILPIT_API = os.environ.get("MAILPIT_API_BASE", "http://127.0.0.1:8025")


@dataclass(frozen=True)
class PeerResult:
    name: str
    count: int
    seconds: float  # start -> Mailpit holds all `count` messages
    rate: float  # count / seconds
    steady_rate: float | None  # between the polls seeing 10% and 90% of them
    notes: str = ""


# --- Mailpit ----------------------------------------------------------------------------------
# Mailpit is shared: other engineers' services and tests send into it meanwhile (a run here saw
# 8,700 of theirs arrive beside 20,000 of ours). So ours go to a domain of this run only, and
# the figures come from the receive times Mailpit stored for them (`Created`, ms), read after
# the run: only the cheap total is polled while the peer sends.


def mailpit_total(client: httpx.Client, mailpit_api: str) -> int:
    answer = client.get(f"{mailpit_api}/api/v1/messages", params={"limit": 1})
    return int(answer.raise_for_status().json()["total"])


def mailpit_search(
    client: httpx.Client, mailpit_api: str, domain: str, limit: int, start: int = 0
) -> dict[str, Any]:
    params = {"query": f"to:{domain}", "limit": limit, "start": start}
    answer = client.get(f"{mailpit_api}/api/v1/search", params=params, timeout=60)
    return answer.raise_for_status().json()


# Mailpit's --max as deploy/local/infra.sh starts it: beyond it, it prunes the oldest.
MAILPIT_MAX = 100_000


def make_room(client: httpx.Client, mailpit_api: str, coming: int) -> None:
    """Empty Mailpit only if `coming` more messages would make it prune (pruning work would
    fall into the measured pass). Mailpit is shared: emptying it always took the emails of
    the test suites running beside the bench (tests/dispatch/test_crash.py failed so)."""
    if mailpit_total(client, mailpit_api) + coming > MAILPIT_MAX:
        client.delete(f"{mailpit_api}/api/v1/messages").raise_for_status()


def wait_for_all(
    client: httpx.Client,
    mailpit_api: str,
    domain: str,
    count: int,
    sending: Callable[[], bool],
    timeout: float,
) -> None:
    """Returns once Mailpit holds `count` messages to `domain`; raises when `sending()` turns
    false or `timeout` passes first."""
    deadline = time.monotonic() + timeout
    # The total counts everyone's messages, so it reaches `count` no later than ours do; the
    # search (~0.4 s of Mailpit's CPU over 20,000 messages) runs only from there on.
    while mailpit_total(client, mailpit_api) < count or (
        mailpit_search(client, mailpit_api, domain, limit=1)["messages_count"] < count
    ):
        if not sending() or time.monotonic() > deadline:
            held = mailpit_search(client, mailpit_api, domain, limit=1)["messages_count"]
            raise RuntimeError(f"Mailpit holds {held:,} of {count:,} messages to {domain}")
        time.sleep(0.2)


Received = list[tuple[float, int]]  # (epoch seconds Mailpit stored it, its size), by time


def received(client: httpx.Client, mailpit_api: str, domain: str, count: int) -> Received:
    found: Received = []
    for start in range(0, count, 5_000):
        for summary in mailpit_search(client, mailpit_api, domain, 5_000, start)["messages"]:
            created = datetime.fromisoformat(summary["Created"]).timestamp()
            found.append((created, int(summary["Size"])))
    return sorted(found)


def result(name: str, started: float, messages: Received, notes: str) -> PeerResult:
    """`started`: epoch seconds, the clock Mailpit stamps messages with (same machine)."""
    times = [created for created, _ in messages]
    count, seconds = len(times), times[-1] - started
    size = sum(size for _, size in messages) / count
    notes = f"{notes}; {size:,.0f}-byte messages" if notes else f"{size:,.0f}-byte messages"
    return PeerResult(name, count, seconds, count / seconds, steady_rate(times), notes)


def steady_rate(times: list[float], low: float = 0.1, high: float = 0.9) -> float | None:
    """Messages per second from the `low` to the `high` share of them: the rate once sending
    runs, without start-up (connects, listmonk's scan) or the tail."""
    first, last = int(low * len(times)), int(high * len(times)) - 1
    if last <= first or times[last] <= times[first]:
        return None  # too few, or within one millisecond
    return (last - first) / (times[last] - times[first])


# --- aiosmtplib alone -------------------------------------------------------------------------


def sample_message(n: int, domain: str, size_bytes: int) -> bytes:
    """A multipart text + HTML message of about `size_bytes`, shaped like ours."""
    message = EmailMessage(policy=SMTP)
    message["From"] = f"Bright Smiles Dental <{SENDER}>"
    message["To"] = f"Ada Lovelace {n} <p-{n}@{domain}>"
    message["Subject"] = "We miss you, Ada"
    message["Message-ID"] = f"<{uuid.uuid4()}@{domain}>"
    text = "Hi Ada, it has been a while. 20% off with SMILE20. Book: http://127.0.0.1:8104/b/x\n"
    filler = "x" * max(0, (size_bytes - 900) // 2)  # two copies, plus ~900 bytes of headers
    message.set_content(text + filler)
    message.add_alternative(f"<html><body><p>{text}</p><p>{filler}</p></body></html>", "html")
    return message.as_bytes()


async def send_messages(
    messages: list[bytes], domain: str, connections: int, smtp_host: str, smtp_port: int
) -> None:
    """Sends `messages[n]` to p-n@domain over `connections` connections sharing one queue."""
    queue: asyncio.Queue[tuple[int, bytes]] = asyncio.Queue()
    for item in enumerate(messages):
        queue.put_nowait(item)

    async def connection() -> None:
        client = aiosmtplib.SMTP(hostname=smtp_host, port=smtp_port)
        await client.connect()
        while not queue.empty():
            n, data = queue.get_nowait()
            await client.sendmail(SENDER, [f"p-{n}@{domain}"], data)
        await client.quit()

    await asyncio.gather(*(connection() for _ in range(connections)))


async def aiosmtplib_ceiling(
    count: int,
    connections: int,
    smtp_host: str,
    smtp_port: int,
    mailpit_api: str,
    size_bytes: int = 2048,
) -> PeerResult:
    """aiosmtplib alone over `connections` connections: `count` ready-made messages of about
    `size_bytes`, timed from the first one sent until Mailpit holds them all."""
    domain = f"raw-{uuid.uuid4().hex[:6]}.example"
    messages = [sample_message(n, domain, size_bytes) for n in range(count)]
    # the blocking Mailpit calls run in a thread: the caller's event loop may have more to do
    with httpx.Client() as client:
        await asyncio.to_thread(make_room, client, mailpit_api, count)
        started = time.time()
        await send_messages(messages, domain, connections, smtp_host, smtp_port)
        # Mailpit answers 250 once it has stored a message: all are there, or never will be
        waited = (client, mailpit_api, domain, count, lambda: True, 30)
        await asyncio.to_thread(wait_for_all, *waited)
        arrived = await asyncio.to_thread(received, client, mailpit_api, domain, count)
    return result(f"aiosmtplib, {connections} connections", started, arrived, "")


# --- listmonk ---------------------------------------------------------------------------------


def listmonk_binary(path: str | None) -> tuple[Path | None, str]:
    """(binary, "") when `path` (or `LISTMONK_BIN`) names an executable, else (None, why not)."""
    path = path or os.environ.get("LISTMONK_BIN")
    if not path:
        return None, "no --listmonk-bin or LISTMONK_BIN (a listmonk v6.2.0 binary you built)"
    binary = Path(path).expanduser()
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        return None, f"{binary} is not an executable file"
    return binary, ""


def run_listmonk(
    count: int,
    listmonk_bin: Path,
    smtp_host: str,
    smtp_port: int,
    mailpit_api: str,
    pg_admin: str | None = None,
    pg_port: int = PG_PORT,
    connections: int = 10,
) -> PeerResult:
    """One listmonk campaign to `count` subscribers, timed from the API call that starts it
    until Mailpit holds them all. `pg_admin`: libpq conninfo of a superuser of the PostgreSQL
    server on 127.0.0.1:`pg_port` (default: the local server's socket, `local_pg_admin`)."""
    version = subprocess.run(
        [str(listmonk_bin), "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    domain = f"lm-{uuid.uuid4().hex[:6]}.example"
    admin = pg_admin or local_pg_admin(pg_port)
    setup = running_listmonk(
        listmonk_bin, count, domain, connections, smtp_host, smtp_port, admin, pg_port
    )
    with setup as listmonk, httpx.Client() as mailpit:
        campaign = listmonk.create_campaign()
        make_room(mailpit, mailpit_api, count)
        started = time.time()
        listmonk.start_campaign(campaign)
        try:
            wait_for_all(
                mailpit, mailpit_api, domain, count, listmonk.running, timeout=60 + count / 50
            )
        except RuntimeError as error:  # raised in here, its directory and log stay
            raise RuntimeError(f"listmonk: {error}: {tail(listmonk.log)}") from error
        messages = received(mailpit, mailpit_api, domain, count)
    first, last = messages[0][0], messages[-1][0]
    # listmonk looks for running campaigns every 5 s: up to 5 s of the end-to-end time is that
    # wait, hence the rate from the first email on too
    notes = (
        f"{version or 'unknown version'}; first email {first - started:.1f} s after the start,"
        f" {len(messages) / max(last - first, 0.001):,.0f} msg/s from it to the last;"
        f" {listmonk.settings}"
    )
    return result(f"listmonk, {connections} connections", started, messages, notes)


# --- by hand ----------------------------------------------------------------------------------


def show(peer: PeerResult) -> None:
    steady = f"{peer.steady_rate:,.0f}" if peer.steady_rate else "-"
    print(
        f"  {peer.name:<28} {peer.rate:7,.0f} msg/s end to end ({peer.count:,} in"
        f" {peer.seconds:.1f} s), steady {steady} msg/s\n      {peer.notes}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--listmonk-bin", help="a listmonk v6.2.0 binary (or LISTMONK_BIN)")
    parser.add_argument("--pg-admin", help="libpq conninfo of a PostgreSQL superuser")
    args = parser.parse_args()
    print(f"peers into Mailpit at {MAILPIT_API} ({args.count:,} messages):")
    show(
        asyncio.run(
            aiosmtplib_ceiling(args.count, args.connections, SMTP_HOST, SMTP_PORT, MAILPIT_API)
        )
    )
    binary, why_not = listmonk_binary(args.listmonk_bin)
    if binary is None:
        print(f"  listmonk skipped: {why_not}")
        return
    show(
        run_listmonk(
            args.count,
            binary,
            SMTP_HOST,
            SMTP_PORT,
            MAILPIT_API,
            args.pg_admin,
            connections=args.connections,
        )
    )


if __name__ == "__main__":
    main()
