"""EMAIL over SMTP (aiosmtplib) through a pool of long-lived connections.

The message is assembled here, not by the template: `List-Unsubscribe` (RFC 2369) with the
https link and an optional mailto, `List-Unsubscribe-Post: List-Unsubscribe=One-Click`
(RFC 8058) and a `Message-ID` derived from the messageId are set by the service. A subject is
one line (the shared rendering folds whitespace), so merge data cannot add headers.

The MIME text is built by hand (multipart/alternative, quoted-printable UTF-8 parts): the
stdlib's email package spends ~10x the time per message, and this is the hot path.
"""

import asyncio
import binascii
import contextlib
import re
import uuid
from email.header import Header
from email.utils import formataddr, formatdate, parseaddr
from functools import lru_cache

import aiosmtplib

from dispatch_svc.channels.base import (
    Outgoing,
    PermanentProviderError,
    Receipt,
    TransientProviderError,
)
from dispatch_svc.config import DispatchSettings

ONE_CLICK = "List-Unsubscribe=One-Click"


ADDRESS = re.compile(r"[^\s<>@,;:\"\\]+@[^\s<>@,;:\"\\]+")


def message_id_header(message_id: str, sender: str) -> str:
    return f"<{message_id}@{_domain_of(sender)}>"


@lru_cache(maxsize=64)
def _domain_of(sender: str) -> str:
    return parseaddr(sender)[1].rpartition("@")[2] or "reengage.invalid"


@lru_cache(maxsize=64)
def _from_header(sender: str) -> str:
    # one sender per clinic: parsing it for every message was a share of each email's CPU
    # (docs/perf.md)
    return _address(*parseaddr(sender))


def _header_text(value: str) -> str:
    value = " ".join(value.split())
    return value if value.isascii() else Header(value, "utf-8").encode()


def _address(name: str | None, email: str) -> str:
    return formataddr((" ".join(name.split()), email), charset="utf-8") if name else email


def _qp(text: str) -> bytes:
    # b2a_qp keeps the line ends it is given, a lone CR too (bare CRs are not allowed in SMTP,
    # RFC 5321 2.3.8): give it LF only, then make every one CRLF
    lines = text.replace("\r\n", "\n").replace("\r", "\n")
    encoded = binascii.b2a_qp(lines.encode(), istext=True, header=False)
    return encoded.replace(b"\n", b"\r\n")


def build_email(
    message: Outgoing, *, sender: str, mailto: str | None, date: str | None = None
) -> bytes:
    """The RFC 5322 bytes of one message, CRLF line ends."""
    unsubscribe = [f"<{message.unsubscribe_link}>"]
    if mailto:
        unsubscribe.append(f"<mailto:{mailto}?subject=unsubscribe>")
    boundary = "=_" + uuid.uuid5(uuid.NAMESPACE_URL, message.message_id).hex
    headers = [
        f"From: {_from_header(sender)}",
        f"To: {_address(message.recipient_name, message.email or '')}",
        f"Subject: {_header_text(message.subject or '')}",
        f"Date: {date or formatdate(localtime=False, usegmt=True)}",
        f"Message-ID: {message_id_header(message.message_id, sender)}",
        f"List-Unsubscribe: {', '.join(unsubscribe)}",
        f"List-Unsubscribe-Post: {ONE_CLICK}",
        f"X-Reengage-Message-Id: {message.message_id}",
        f"X-Reengage-Campaign-Id: {message.campaign_id}",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/alternative; boundary="{boundary}"',
    ]
    parts = [("text/plain", message.text), ("text/html", message.html or "")]
    body = b"".join(
        f"--{boundary}\r\nContent-Type: {kind}; charset=utf-8\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n".encode()
        + _qp(content)
        + b"\r\n"
        for kind, content in parts
    )
    head = "\r\n".join(headers).encode() + b"\r\n\r\n"
    return head + body + f"--{boundary}--\r\n".encode()


class SmtpPool:
    """Up to `size` SMTP connections, each sending one message at a time, many in turn."""

    def __init__(self, settings: DispatchSettings) -> None:
        self._settings = settings
        self._idle: asyncio.Queue[aiosmtplib.SMTP | None] = asyncio.Queue()
        for _ in range(settings.smtp_connections):
            self._idle.put_nowait(None)  # connected on first use
        self._all: set[aiosmtplib.SMTP] = set()

    async def _connect(self) -> aiosmtplib.SMTP:
        settings = self._settings
        client = aiosmtplib.SMTP(
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            timeout=settings.smtp_timeout_seconds,
            start_tls=settings.smtp_starttls,
            use_tls=False,
        )
        await client.connect()
        if client.is_ehlo_or_helo_needed:
            await client.ehlo()
        if settings.smtp_username:
            await client.login(settings.smtp_username, settings.smtp_password or "")
        self._all.add(client)
        return client

    async def sendmail(self, sender: str, recipient: str, data: bytes) -> str:
        """One mail transaction on a pooled connection; returns the server's DATA reply.

        MAIL and RCPT go out as raw commands: aiosmtplib's `sendmail` parses both addresses
        with the stdlib's RFC 2822 parser on every message, a third of our CPU per email.
        The addresses were checked once, by `ADDRESS`.

        The whole transaction has one deadline (`SMTP_TIMEOUT_SECONDS`) rather than one per
        reply: aiosmtplib wraps each timed read in `asyncio.wait_for`, a timer and an extra
        future per reply. A transaction cut short leaves the connection mid-dialogue, so the
        connection is dropped (TimeoutError is an OSError).
        """
        client = await self._idle.get()
        try:
            if client is None or not client.is_connected:
                client = await self._connect()
            async with asyncio.timeout(self._settings.smtp_timeout_seconds):
                await _expect(client, b"MAIL", b"FROM:<" + sender.encode() + b">", codes=(250,))
                await _expect(
                    client, b"RCPT", b"TO:<" + recipient.encode() + b">", codes=(250, 251)
                )
                return await _data(client, data)
        except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPConnectError, OSError):
            await self._discard(client)
            client = None
            raise
        except aiosmtplib.SMTPException:
            # the connection may be mid-transaction: RSET it, or drop it
            if client is not None:
                try:
                    await client.rset()
                except aiosmtplib.SMTPException:
                    await self._discard(client)
                    client = None
            raise
        finally:
            self._idle.put_nowait(client)

    async def _discard(self, client: aiosmtplib.SMTP | None) -> None:
        if client is not None:
            self._all.discard(client)
            with contextlib.suppress(Exception):
                client.close()

    async def close(self) -> None:
        """QUIT every connection, briefly: one caught mid-transaction is simply dropped."""

        async def leave(client: aiosmtplib.SMTP) -> None:
            try:
                await asyncio.wait_for(client.quit(), timeout=1.0)
            except (Exception, TimeoutError):
                client.close()

        await asyncio.gather(*(leave(client) for client in list(self._all)))
        self._all.clear()


async def _data(client: aiosmtplib.SMTP, data: bytes) -> str:
    """DATA, then the message: returns the server's reply.

    Not `client.data`: it runs two regular expressions over the whole message to make every
    line end CRLF and to double leading dots (~6% of our CPU per email). `build_email` ends
    every line with CRLF already, so doubling the dots after each CRLF is all that is left
    (a message starts with a header, never a dot). The pool gives a connection to one
    transaction at a time, and nothing else reads it meanwhile.
    """
    protocol = client.protocol
    if protocol is None:
        raise aiosmtplib.SMTPServerDisconnected("Connection lost")
    start = await protocol.execute_command(b"DATA")
    if start.code != 354:
        raise aiosmtplib.SMTPDataError(start.code, start.message)
    protocol.write(data.replace(b"\r\n.", b"\r\n..") + b".\r\n")
    reply = await protocol.read_response()
    if reply.code != 250:
        raise aiosmtplib.SMTPDataError(reply.code, reply.message)
    return reply.message


async def _expect(client: aiosmtplib.SMTP, *command: bytes, codes: tuple[int, ...]) -> None:
    response = await client.execute_command(*command, timeout=None)  # the transaction's deadline
    if response.code not in codes:
        raise aiosmtplib.SMTPResponseException(response.code, response.message)


class EmailChannel:
    name = "smtp"

    def __init__(self, settings: DispatchSettings) -> None:
        self._settings = settings
        self._pool = SmtpPool(settings)
        self._sender_address = parseaddr(settings.email_from)[1]
        if not ADDRESS.fullmatch(self._sender_address):
            raise ValueError(f"EMAIL_FROM: {settings.email_from!r} has no valid address")

    async def start(self) -> None:
        return None

    async def send(self, message: Outgoing) -> Receipt:
        if not message.email:
            raise PermanentProviderError("contact.email: no email address")
        if not ADDRESS.fullmatch(message.email):
            raise PermanentProviderError(f"contact.email: {message.email!r} is not an address")
        # The From header (and the Message-ID's domain) speak for the clinic; the envelope sender
        # stays ours (EMAIL_FROM), so bounces come back to the platform that counts them.
        # Snapshots from before profiles have no emailFrom.
        sender = message.clinic.email_from or self._settings.email_from
        data = build_email(message, sender=sender, mailto=self._settings.email_unsubscribe_mailto)
        try:
            await self._pool.sendmail(self._sender_address, message.email, data)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise _classified(*_first_refusal(exc)) from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise _classified(exc.code, exc.message) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise TransientProviderError(f"smtp: {exc!r}") from exc
        return Receipt(
            provider=self.name,
            provider_message_id=message_id_header(message.message_id, sender),
            cost_cents=self._settings.email_cost_cents,
        )

    async def close(self) -> None:
        await self._pool.close()


def _first_refusal(exc: aiosmtplib.SMTPRecipientsRefused) -> tuple[int, str]:
    for refusal in exc.recipients:
        return refusal.code, refusal.message
    return 550, "recipient refused"


def _classified(code: int, text: str) -> TransientProviderError | PermanentProviderError:
    reason = f"smtp {code}: {text}"
    return TransientProviderError(reason) if 400 <= code < 500 else PermanentProviderError(reason)
