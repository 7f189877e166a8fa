"""MAIL: postal letters through Lob's letters API, or as PDFs for a print house.

Lob honours `Idempotency-Key` (our messageId): a retried request, even after a crash, answers
the letter it first created, so each letter is printed once. With `MAIL_PROVIDER=pdf` each
letter is `<MAIL_OUTBOX_DIR>/<campaignId>/<messageId>.pdf` and a row of `manifest.csv`, both
written once per messageId.
"""

import asyncio
import csv
import os
import unicodedata
from html import escape
from pathlib import Path

import httpx
from fpdf import FPDF

from dispatch_svc.channels.base import (
    Outgoing,
    PermanentProviderError,
    Receipt,
    TransientProviderError,
    refusal,
)
from dispatch_svc.config import DispatchSettings
from reengage_common.clinic import postal_lines
from reengage_common.events import Address

MANIFEST_FIELDS = [
    "message_id",
    "campaign_id",
    "patient_id",
    "name",
    "line1",
    "line2",
    "city",
    "state",
    "postal_code",
    "country",
    "file",
]


def _require_address(message: Outgoing) -> Address:
    address = message.address
    if address is None or not address.line1:
        raise PermanentProviderError("contact.address: no postal address")
    return address


def lob_address(company: str, address: Address | None) -> dict[str, str]:
    """The clinic as the letter's sender (campaign-svc refuses a mail launch without one)."""
    given = address or Address()
    fields = {
        "company": company,
        "address_line1": given.line1,
        "address_line2": given.line2,
        "address_city": given.city,
        "address_state": given.state,
        "address_zip": given.postal_code,
        "address_country": given.country,
    }
    return {name: value for name, value in fields.items() if value}


def letter_html(message: Outgoing) -> str:
    paragraphs = "".join(
        f"<p>{escape(p).replace(chr(10), '<br>')}</p>" for p in message.text.split("\n\n")
    )
    clinic = escape(message.clinic.name)
    return f'<html><body style="font-family: serif"><h3>{clinic}</h3>{paragraphs}</body></html>'


class LobChannel:
    name = "lob"

    def __init__(self, settings: DispatchSettings) -> None:
        self._settings = settings
        self._url = settings.lob_api_base.rstrip("/") + "/v1/letters"
        self._client: httpx.AsyncClient | None = None

    async def start(self) -> None:
        self._client = httpx.AsyncClient(
            auth=(self._settings.lob_api_key, ""), timeout=self._settings.provider_timeout_seconds
        )

    def _from(self, message: Outgoing) -> dict[str, str] | str:
        if self._settings.lob_from_address_id:
            return self._settings.lob_from_address_id
        return lob_address(message.clinic.name, message.clinic.address)

    async def send(self, message: Outgoing) -> Receipt:
        address = _require_address(message)
        assert self._client is not None, "start() the channel first"
        body = {
            "description": f"campaign {message.campaign_id}",
            "to": {
                "name": message.recipient_name or "Patient",
                "address_line1": address.line1,
                "address_line2": address.line2,
                "address_city": address.city,
                "address_state": address.state,
                "address_zip": address.postal_code,
                "address_country": address.country or "US",
            },
            "from": self._from(message),
            "file": letter_html(message),
            "color": False,
            "metadata": {"message_id": message.message_id, "campaign_id": message.campaign_id},
        }
        try:
            answer = await self._client.post(
                self._url, json=body, headers={"Idempotency-Key": message.message_id}
            )
        except httpx.HTTPError as exc:
            raise TransientProviderError(f"lob: {exc!r}") from exc
        if answer.status_code in (200, 201):
            return Receipt(self.name, answer.json().get("id"), self._settings.mail_cost_cents)
        raise refusal(answer.status_code, _lob_reason(answer))

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()


def _lob_reason(answer: httpx.Response) -> str:
    try:
        error = answer.json().get("error") or {}
    except ValueError:
        return f"lob {answer.status_code}: {answer.text[:200]}"
    return f"lob {answer.status_code} {error.get('code')}: {error.get('message')}"


class PdfMailChannel:
    """One PDF letter per recipient plus a CSV manifest row, for a print house."""

    name = "pdf"

    def __init__(self, settings: DispatchSettings) -> None:
        self._settings = settings
        self._dir = Path(settings.mail_outbox_dir)
        self._manifest = self._dir / "manifest.csv"
        self._listed: set[str] = set()
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        self._dir.mkdir(parents=True, exist_ok=True)
        if self._manifest.exists():
            with self._manifest.open(newline="", encoding="utf-8") as handle:
                self._listed = {row["message_id"] for row in csv.DictReader(handle)}

    async def send(self, message: Outgoing) -> Receipt:
        address = _require_address(message)
        folder = self._dir / message.campaign_id
        path = folder / f"{message.message_id}.pdf"
        async with self._lock:
            if message.message_id not in self._listed:
                # off the event loop: rendering and the manifest's fsync would stall every channel
                await asyncio.to_thread(self._print, message, address, path)
                self._listed.add(message.message_id)
        # the letter's place in the outbox, as the manifest names it (not this server's path)
        return Receipt(self.name, str(path.relative_to(self._dir)), self._settings.mail_cost_cents)

    def _print(self, message: Outgoing, address: Address, path: Path) -> None:
        """The letter, then its manifest row: a crash between them rewrites the same file."""
        _write_pdf(path, message, address)
        self._append_row(message, address, path)

    def _append_row(self, message: Outgoing, address: Address, path: Path) -> None:
        new = not self._manifest.exists()
        with self._manifest.open("a", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=MANIFEST_FIELDS)
            if new:
                writer.writeheader()
            writer.writerow(
                {
                    "message_id": message.message_id,
                    "campaign_id": message.campaign_id,
                    "patient_id": message.patient_id,
                    "name": message.recipient_name or "",
                    "line1": address.line1,
                    "line2": address.line2 or "",
                    "city": address.city or "",
                    "state": address.state or "",
                    "postal_code": address.postal_code or "",
                    "country": address.country or "",
                    "file": str(path.relative_to(self._dir)),
                }
            )
            handle.flush()
            os.fsync(handle.fileno())

    async def close(self) -> None:
        return None


# Typography a word processor puts in a template, and letters Latin-1 lacks that do not
# decompose into a base letter and an accent, as the nearest text the PDF core fonts have.
_PLAIN_FORMS = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": ",",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u2026": "...",
        "\u2022": "\u00b7",
        "\u20ac": "EUR",
        "\u2122": "TM",
        "\u0141": "L",
        "\u0142": "l",
        "\u0110": "D",
        "\u0111": "d",
        "\u0152": "OE",
        "\u0153": "oe",
    }
)


def _printable(text: str) -> str:
    """`text` in the Latin-1 of the PDF core fonts: curly quotes and dashes as plain ones, an
    accent Latin-1 lacks dropped from its letter (ř as r), anything else "?", never lost
    silently."""
    return "".join(
        char if char <= "\xff" else _unaccented(char) for char in text.translate(_PLAIN_FORMS)
    )


def _unaccented(char: str) -> str:
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    return base if base and all(c <= "\xff" for c in base) else "?"


def _write_pdf(path: Path, message: Outgoing, address: Address) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf = FPDF(format="Letter")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 8, _printable(message.clinic.name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    for line in postal_lines(message.clinic.address):
        pdf.cell(0, 6, _printable(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(10)
    lines = [message.recipient_name or "", address.line1 or "", address.line2 or ""]
    lines.append(" ".join(filter(None, [address.city, address.state, address.postal_code])))
    for line in filter(None, lines):
        pdf.cell(0, 6, _printable(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(10)
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, _printable(message.text))
    temporary = path.with_suffix(".pdf.tmp")
    pdf.output(str(temporary))
    temporary.replace(path)
