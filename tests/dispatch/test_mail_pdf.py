"""MAIL_PROVIDER=pdf: one PDF letter per recipient and one manifest row per letter in
MAIL_OUTBOX_DIR, for a print house; a redelivered or retried message prints nothing twice."""

import csv
import re
import zlib
from datetime import timedelta
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from kit import (
    CLINIC_PROFILE,
    FakeClock,
    dispatch_stack,
    due,
    launched,
    sent_of,
    step,
    ticks_pass,
    unique,
    utc,
)

from dispatch_svc.channels.base import Outgoing
from dispatch_svc.channels.mail import PdfMailChannel
from dispatch_svc.config import DispatchSettings
from reengage_common.events import Channel, SendOutcome
from reengage_testing import eventually

pytestmark = pytest.mark.infra

THURSDAY_9AM_CHICAGO = utc(2026, 11, 26, 15, 0)
TEN_AM = THURSDAY_9AM_CHICAGO + timedelta(hours=1)
# as a word processor types it: curly apostrophe, dash, ellipsis
LETTER = step(
    Channel.MAIL,
    1,
    "Dear {{ patient.firstName }}, we\u2019ve saved you a spot \u2014 see you\u2026",
)
# a name beyond Latin-1, the PDF core fonts' alphabet
POLISH_CZECH_NAME = "\u0141ucja Dvo\u0159\u00e1k"
MAIL_COST_CENTS = 123


async def test_each_recipient_gets_one_pdf_letter_and_one_manifest_row(infra, tmp_path) -> None:
    clock = FakeClock(THURSDAY_9AM_CHICAGO)
    campaign = unique("letters")
    patients = [unique("p-mail") for _ in range(3)]
    outbox = tmp_path / "outbox"
    async with dispatch_stack(
        infra,
        "pdf",
        clock,
        mail_provider="pdf",
        mail_outbox_dir=outbox,
        mail_cost_cents=MAIL_COST_CENTS,
    ) as stack:
        sent = await stack.bus.watch("message.sent")
        dues = [due(campaign, p, at=clock.now, channel=Channel.MAIL) for p in patients]
        dues[0].contact.name = POLISH_CZECH_NAME
        names = {p: f"Pat {p}" for p in patients} | {patients[0]: POLISH_CZECH_NAME}
        await stack.bus.publish(launched(campaign, [LETTER], at=clock.now))
        await stack.bus.publish(*dues)
        clock.now = TEN_AM
        await eventually(lambda: _outcomes(sent, campaign, len(patients)))
        await stack.bus.publish(*dues)  # redelivered: stored once, nothing more is sent
        await caught_up(stack.settings, "message.due")
        await ticks_pass(stack.sender, 5)

        letters = {e.patient_id: e for e in sent_of(sent, campaign)}
        assert {(e.outcome, e.provider, e.cost_cents) for e in letters.values()} == {
            (SendOutcome.SENT, "pdf", MAIL_COST_CENTS)
        }
        for patient in patients:
            letter = outbox / campaign / f"{letters[patient].message_id}.pdf"
            text = pdf_text(letter.read_bytes())
            assert printed_name(names[patient]) in text  # the recipient
            assert "Dear Ada, we've saved you a spot - see you..." in text
            assert "100 Main Street" in text and "Springfield, IL 62701" in text  # the clinic
            assert "To stop receiving mail from us" in text

        rows = manifest(outbox)
        assert {row["message_id"]: row["name"] for row in rows} == {
            letters[p].message_id: names[p] for p in patients
        }
        assert {(row["line1"], row["city"], row["postal_code"]) for row in rows} == {
            ("1 Main St", "Springfield", "62701")
        }
        assert {row["file"] for row in rows} == {
            f"{campaign}/{letters[p].message_id}.pdf" for p in patients
        }
        # the provider's id of a letter is its file as the manifest names it
        assert {letters[p].provider_message_id for p in patients} == {row["file"] for row in rows}

        # a retry of a letter whose outcome a crash lost, by a restarted sender: printed once
        first = rows[0]
        printed = (outbox / first["file"]).read_bytes()
        restarted = PdfMailChannel(stack.settings)
        await restarted.start()
        again = letter_to(first["message_id"], campaign, first["patient_id"])
        receipt = await restarted.send(again)
        await restarted.send(again)
        assert receipt.cost_cents == MAIL_COST_CENTS
        assert manifest(outbox) == rows
        assert (outbox / first["file"]).read_bytes() == printed
        assert len(sent_of(sent, campaign)) == len(patients)


async def caught_up(settings: DispatchSettings, name: str) -> None:
    """Until dispatch's group committed every event published so far on the topic (offsets
    are committed only once a batch's effects are stored)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    reader = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    await reader.start()
    try:
        topic = settings.topic(name)
        await reader.topics()  # the topic's metadata, for its partitions
        partitions = [TopicPartition(topic, p) for p in reader.partitions_for_topic(topic) or ()]
        ends = await reader.end_offsets(partitions)

        async def committed() -> bool:
            offsets = await admin.list_consumer_group_offsets(settings.group_id())
            return all(
                end == 0 or (p in offsets and offsets[p].offset >= end) for p, end in ends.items()
            )

        await eventually(committed)
    finally:
        await reader.stop()
        await admin.close()


def letter_to(message_id: str, campaign_id: str, patient_id: str) -> Outgoing:
    address = due(campaign_id, patient_id, at=THURSDAY_9AM_CHICAGO).contact.address
    return Outgoing(
        message_id=message_id,
        campaign_id=campaign_id,
        patient_id=patient_id,
        clinic_id="clinic-kit",
        channel=Channel.MAIL,
        recipient_name=f"Pat {patient_id}",
        email=None,
        phone=None,
        address=address,
        subject=None,
        text="Dear Ada, a retried letter.",
        html=None,
        unsubscribe_link="https://links.clinic.example/u/x",
        booking_link="https://links.clinic.example/b/x",
        clinic=CLINIC_PROFILE,
    )


def printed_name(name: str) -> str:
    """What the letter can print of a name: the PDF core fonts lack \u0141 and \u0159."""
    return name.replace("\u0141", "L").replace("\u0159", "r")


def manifest(outbox: Path) -> list[dict[str, str]]:
    with (outbox / "manifest.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def pdf_text(document: bytes) -> str:
    """The text a PDF shows (no extractor is in the lock): the string operands of its
    content streams, inflated."""
    assert document.startswith(b"%PDF-")
    shown: list[str] = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", document, re.DOTALL):
        try:
            content = zlib.decompress(stream)
        except zlib.error:
            content = stream
        for operand in re.findall(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", content):
            shown.append(re.sub(rb"\\(.)", rb"\1", operand).decode("latin-1"))
    return "\n".join(shown)


async def _outcomes(events, campaign: str, count: int) -> bool:
    return len(sent_of(events, campaign)) >= count
