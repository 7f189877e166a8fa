"""A three-step email -> SMS -> letter sequence through real Kafka, FerretDB, Mailpit and the
Twilio/Lob fakes, on simulated days: each step reaches its provider at the campaign's send
time on the right day, and a response after step 1 stops steps 2 and 3."""

from datetime import timedelta

import pytest
from kit import (
    CLINIC,
    CLINIC_PROFILE,
    EMAIL_STEP,
    MAIL_STEP,
    SMS_STEP,
    FakeClock,
    dispatch_stack,
    due,
    launched,
    patient_contact,
    responded,
    sent_of,
    ticks_pass,
    unique,
    utc,
)

from dispatch_svc import store
from dispatch_svc.store.codecs import messages_of
from reengage_common.events import Channel, ResponseKind, SendOutcome
from reengage_testing import eventually

pytestmark = pytest.mark.infra

THURSDAY_9AM_CHICAGO = utc(2026, 11, 26, 15, 0)
TEN_AM = timedelta(hours=1)


async def test_three_steps_arrive_on_their_days_and_a_response_stops_the_rest(infra) -> None:
    clock = FakeClock(THURSDAY_9AM_CHICAGO)
    campaign = unique("seq")
    keeps, answers = unique("p-keeps"), unique("p-answers")
    async with dispatch_stack(infra, "seq", clock) as stack:
        sent = await stack.bus.watch("message.sent")
        dues = await stack.bus.watch("message.due")
        await stack.bus.publish(launched(campaign, [EMAIL_STEP, SMS_STEP, MAIL_STEP], at=clock.now))
        await stack.bus.publish(
            *(due(campaign, patient, at=clock.now) for patient in (keeps, answers))
        )
        await eventually(lambda: _queued(stack, campaign, 2))
        await ticks_pass(stack.sender)
        assert await stack.mailpit.to(f"{keeps}@patients.example") == [], "nothing before 10:00"

        # day 0, 10:00 Chicago: step 1 by email
        clock.now = THURSDAY_9AM_CHICAGO + TEN_AM
        await eventually(lambda: _outcomes(sent, campaign, 2))
        for patient in (keeps, answers):
            emails = await stack.mailpit.to(f"{patient}@patients.example")
            assert [m["Subject"] for m in emails] == ["We miss you, Ada"]
        first = {e.patient_id: e for e in sent_of(sent, campaign)}
        assert {e.outcome for e in first.values()} == {SendOutcome.SENT}
        assert {e.at for e in first.values()} == {clock.now}
        await eventually(lambda: _count(dues, campaign, 4))  # two step-2 messages queued
        step_two = [d.data for d in dues if d.data.campaign_id == campaign and d.data.sequence == 2]
        assert {d.channel for d in step_two} == {Channel.SMS}
        assert {d.due_at for d in step_two} == {clock.now + timedelta(days=3)}

        # both open their booking link (a click stops nothing), the second patient answers
        await stack.bus.publish(
            *(
                responded(campaign, patient, ResponseKind.CLICKED, clock.now, Channel.EMAIL)
                for patient in (keeps, answers)
            ),
            responded(campaign, answers, ResponseKind.INTERESTED, clock.now, Channel.EMAIL),
        )
        await eventually(lambda: _responses(stack, 1))

        # day 3, a minute before 10:00: nothing yet; at 10:00 the SMS
        clock.now = THURSDAY_9AM_CHICAGO + timedelta(days=3) + TEN_AM - timedelta(minutes=1)
        await eventually(lambda: _queued(stack, campaign, 4))
        await ticks_pass(stack.sender)
        assert await stack.sms_to(patient_contact(keeps).phone) == []
        clock.now += timedelta(minutes=1)
        await eventually(lambda: _outcomes(sent, campaign, 4))
        texts = await stack.sms_to(patient_contact(keeps).phone)
        assert len(texts) == 1 and texts[0]["body"].endswith("Reply STOP to opt out")
        assert texts[0]["from"] == CLINIC_PROFILE.sms_from  # the clinic's number, not SMS_FROM
        assert await stack.sms_to(patient_contact(answers).phone) == []
        second = {e.patient_id: e for e in sent_of(sent, campaign) if e.sequence == 2}
        assert second[keeps].outcome is SendOutcome.SENT and second[keeps].at == clock.now
        assert second[answers].outcome is SendOutcome.SKIPPED
        assert second[answers].reason == "recipient responded (INTERESTED)"

        # day 10 at 10:00: the letter, for the patient who never answered only
        clock.now = THURSDAY_9AM_CHICAGO + timedelta(days=10) + TEN_AM
        await eventually(lambda: _outcomes(sent, campaign, 5))
        letters = stack.letters_for(f"Pat {keeps}")
        assert len(letters) == 1
        sender = letters[0]["from"]  # the clinic's postal address as the return address
        assert (sender["address_line1"], sender["address_city"], sender["address_zip"]) == (
            "100 Main Street",
            "Springfield",
            "62701",
        )
        assert stack.letters_for(f"Pat {answers}") == []
        third = [e for e in sent_of(sent, campaign) if e.sequence == 3]
        assert [(e.patient_id, e.outcome, e.at) for e in third] == [
            (keeps, SendOutcome.SENT, clock.now)
        ]
        assert [d.data.patient_id for d in dues if d.data.sequence == 3] == [keeps]
        await ticks_pass(stack.sender)
        assert len(sent_of(sent, campaign)) == 5
        # only what stops a sequence is kept for the checks before a send, not the clicks
        kept = (
            await store.collection(store.ResponseRecord).find({"campaign_id": campaign}).to_list()
        )
        assert [(r["patient_id"], r["kind"]) for r in kept] == [(answers, "INTERESTED")]


async def _queued(stack, campaign: str, count: int) -> bool:
    records = await store.collection(store.MessageRecord).find({"campaign_id": campaign}).to_list()
    return len(messages_of(records)) >= count


async def _responses(stack, count: int) -> bool:
    stored = await store.collection(store.ResponseRecord).count_documents({"clinic_id": CLINIC})
    return stored >= count


async def _outcomes(events, campaign: str, count: int) -> bool:
    return len(sent_of(events, campaign)) >= count


async def _count(events, campaign: str, count: int) -> bool:
    return len(sent_of(events, campaign)) >= count
