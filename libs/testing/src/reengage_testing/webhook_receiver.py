"""A clinic system's webhook receiver, as a test's stand-in: HTTPS on a real port with a
certificate of its own (its PEM is what dispatch-svc's WEBHOOK_CA_FILE trusts), the raw body
and headers of every POST kept, each checked with a verification function (the README's),
and answers scripted per call (`answer_with(500, 500)`: two failures, then 200s).
"""

import asyncio
import datetime as dt
import ipaddress
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

# verify(body, signature header) -> bool, with the secret and clock the test holds
Verify = Callable[[bytes, str], bool]


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    signed: bool  # what the verification function said
    status: int  # what the receiver answered


@dataclass
class WebhookReceiver:
    url: str  # https://127.0.0.1:<port>
    ca_file: Path
    received: list[Received] = field(default_factory=list)
    verify: Verify = lambda _body, _signature: True
    _script: list[int] = field(default_factory=list)

    def answer_with(self, *statuses: int) -> None:
        """The next POSTs are answered with these statuses, in order; 200 after them."""
        self._script[:] = list(statuses)

    async def _receive(self, request: Request) -> JSONResponse:
        body = await request.body()
        signature = request.headers.get("reengage-signature", "")
        status = self._script.pop(0) if self._script else 200
        self.received.append(
            Received(
                request.url.path, dict(request.headers), body, self.verify(body, signature), status
            )
        )
        return JSONResponse({"received": status < 300}, status_code=status)


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost that is its own authority, and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "reengage test receiver")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=7))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "receiver.pem", folder / "receiver-key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@asynccontextmanager
async def webhook_receiver(folder: Path) -> AsyncIterator[WebhookReceiver]:
    """The receiver listening on a free port of 127.0.0.1 until the block ends."""
    cert_file, key_file = self_signed(folder)
    listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listening.bind(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    receiver = WebhookReceiver(url=f"https://127.0.0.1:{port}", ca_file=cert_file)
    app = Starlette(routes=[Route("/{path:path}", receiver._receive, methods=["POST"])])
    config = uvicorn.Config(
        app,
        log_config=None,
        access_log=False,
        ssl_certfile=str(cert_file),
        ssl_keyfile=str(key_file),
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[listening]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.05)
    try:
        yield receiver
    finally:
        server.should_exit = True
        await task
