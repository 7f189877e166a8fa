"""Every response path, through real Kafka and FerretDB: the status, the event, the figures."""

from datetime import timedelta
from typing import Any

import pytest
from tracking_support import (
    BOOKING_URL,
    CLINIC,
    EMAIL_SECRET,
    T0,
    launched,
    new_campaign,
    step,
)

from reengage_common.events import (
    AppointmentStatus,
    AppointmentUpdated,
    Channel,
    RecipientHeldOut,
    parse,
)
from reengage_common.messages import LinkClaims, booking_link, unsubscribe_link
from reengage_testing import eventually, read_topic

pytestmark = pytest.mark.infra


async def test_sms_replies_end_in_the_right_status_event_and_figures(tracking) -> None:
    # given four patients texted by one campaign
    campaign = new_campaign()
    phones = {f"p{n}": f"+1555000{n:04d}" for n in range(5)}
    events = [launched(campaign)]
    for patient, phone in phones.items():
        events += step(campaign, patient, phone=phone)
    await tracking.emit(*events)
    await tracking.until(campaign, lambda s: s["sent"] == 5)

    # when they answer
    replies = {"p0": " stop ", "p1": "Yes", "p2": "NO", "p3": "HELP", "p4": "who is this?"}
    answers = {
        patient: await tracking.twilio(
            "/webhooks/twilio/inbound",
            {
                "From": phones[patient],
                "To": "+15005550006",
                "Body": body,
                "MessageSid": f"SM{patient}{campaign}",
            },
        )
        for patient, body in replies.items()
    }

    # then
    stats = await tracking.until(campaign, lambda s: s["unsubscribed"] == 1 and s["responded"] == 3)
    assert all(answer.status_code == 200 for answer in answers.values())
    assert "unsubscribed" in answers["p0"].text and answers["p0"].text.count("<Message>") == 1
    assert "(555) 010-0100" in answers["p3"].text  # HELP: the clinic's contact details
    assert BOOKING_URL in answers["p1"].text
    assert stats["interested"] == 1 and stats["notInterested"] == 1 and stats["replied"] == 1
    statuses = {p: (await tracking.recipient(campaign, p)) for p in phones}
    assert {p: (r["status"], r["response"]) for p, r in statuses.items()} == {
        "p0": ("UNSUBSCRIBED", "NO_RESPONSE"),
        "p1": ("RESPONDED", "INTERESTED"),
        "p2": ("RESPONDED", "NOT_INTERESTED"),
        "p3": ("CONTACTED", "NO_RESPONSE"),
        "p4": ("RESPONDED", "NO_RESPONSE"),
    }
    assert statuses["p4"]["replies"][0]["text"] == "who is this?"
    assert statuses["p1"]["name"] == "First-p1 Doe" and statuses["p1"]["channels"] == ["SMS"]
    published = await read_topic(
        tracking.settings, tracking.settings.topic("recipient.responded"), count=200, within=3
    )
    ours = [parse(r.value) for r in published if parse(r.value).data.campaign_id == campaign]
    assert sorted(e.data.kind.value for e in ours) == [
        "INTERESTED",
        "NOT_INTERESTED",
        "UNSUBSCRIBED",
    ]
    assert all(e.key == e.data.patient_id and e.clinic_id == CLINIC for e in ours)


async def test_forged_signature_and_oversized_body_are_refused_and_change_nothing(tracking) -> None:
    campaign = new_campaign()
    await tracking.emit(launched(campaign), *step(campaign, "p1", phone="+15551110001"))
    await tracking.until(campaign, lambda s: s["sent"] == 1)
    stop = {"From": "+15551110001", "To": "+1500", "Body": "STOP", "MessageSid": "SMforged"}

    forged = await tracking.twilio("/webhooks/twilio/inbound", stop, signature="bm90LWl0")
    oversized = await tracking.twilio(
        "/webhooks/twilio/inbound", {**stop, "Body": "STOP" + " " * 5000}
    )
    not_a_form = await tracking.public.post(
        "/webhooks/twilio/inbound", content=b"\xff\x00", headers={"X-Twilio-Signature": "x"}
    )
    email_forged = await tracking.public.post(
        "/webhooks/email/events", json=[], headers={"X-Webhook-Secret": "guess"}
    )

    assert forged.status_code == 403
    assert oversized.status_code == 413
    assert 400 <= not_a_form.status_code < 500
    assert email_forged.status_code == 401
    recipient = await tracking.recipient(campaign, "p1")
    assert recipient["status"] == "CONTACTED"
    assert (await tracking.stats(campaign))["unsubscribed"] == 0


async def test_delivery_callbacks_and_email_events(tracking) -> None:
    campaign = new_campaign()
    events = [launched(campaign)]
    events += step(campaign, "sms-ok", phone="+15552220001")
    events += step(campaign, "sms-gone", phone="+15552220002")
    for patient in ("mail-ok", "mail-hard", "mail-soft", "mail-complaint"):
        events += step(campaign, patient, channel=Channel.EMAIL)
    await tracking.emit(*events)
    await tracking.until(campaign, lambda s: s["sent"] == 6)
    pm = {e.patient_id: e.provider_message_id for e in events if hasattr(e, "provider_message_id")}

    delivered = await tracking.twilio(
        "/webhooks/twilio/status", {"MessageSid": pm["sms-ok"], "MessageStatus": "delivered"}
    )
    bounced = await tracking.twilio(
        "/webhooks/twilio/status",
        {"MessageSid": pm["sms-gone"], "MessageStatus": "undelivered", "ErrorCode": "30003"},
    )
    email = await tracking.public.post(
        "/webhooks/email/events",
        json=[
            {"messageId": pm["mail-ok"], "type": "delivered"},
            {"messageId": pm["mail-hard"], "type": "bounce", "bounceType": "hard"},
            {"messageId": pm["mail-soft"], "type": "bounce", "bounceType": "soft"},
            {"messageId": pm["mail-complaint"], "type": "complaint"},
        ],
        headers={"X-Webhook-Secret": EMAIL_SECRET},
    )
    bad_event = await tracking.public.post(
        "/webhooks/email/events",
        json=[{"messageId": "x", "type": "opened"}],
        headers={"X-Webhook-Secret": EMAIL_SECRET},
    )

    stats = await tracking.until(
        campaign, lambda s: s["delivered"] == 2 and s["bounced"] == 2 and s["unsubscribed"] == 1
    )
    assert (delivered.status_code, bounced.status_code, email.status_code) == (204, 204, 200)
    assert bad_event.status_code == 422 and "0.type" in bad_event.text
    assert (await tracking.recipient(campaign, "sms-gone"))["status"] == "BOUNCED"
    assert (await tracking.recipient(campaign, "mail-soft"))["status"] == "CONTACTED"
    assert (await tracking.recipient(campaign, "mail-complaint"))["status"] == "UNSUBSCRIBED"
    assert stats["rates"]["delivery"] == pytest.approx(2 / 6)


async def test_email_events_find_a_message_by_its_message_id_header(tracking) -> None:
    # dispatch-svc reports an email's provider id as its Message-ID header, angle brackets
    # included; an email provider's webhook names it with or without them. Before the fix both
    # were kept unmatched forever: the store held "<id@host>", the webhook looked up "id@host".
    campaign = new_campaign()
    events = []
    for patient in ("bracketed", "bare"):
        due, sent = step(campaign, patient, channel=Channel.EMAIL)
        sent = sent.model_copy(
            update={"provider_message_id": f"<{sent.message_id}@clinic.example>"}
        )
        events += [due, sent]
    await tracking.emit(launched(campaign), *events)
    await tracking.until(campaign, lambda s: s["sent"] == 2)
    header = {e.patient_id: e.provider_message_id for e in events if hasattr(e, "outcome")}

    answer = await tracking.public.post(
        "/webhooks/email/events",
        json=[
            {"messageId": header["bracketed"], "type": "bounce", "bounceType": "hard"},
            {"messageId": header["bare"].strip("<>"), "type": "delivered"},
        ],
        headers={"X-Webhook-Secret": EMAIL_SECRET},
    )

    assert answer.status_code == 200
    stats = await tracking.until(campaign, lambda s: s["bounced"] == 1 and s["delivered"] == 1)
    assert (await tracking.recipient(campaign, "bracketed"))["status"] == "BOUNCED"
    assert stats["delivered"] == 1


async def test_unsubscribe_and_booking_links(tracking) -> None:
    campaign = new_campaign()
    due, sent = step(campaign, "p1", channel=Channel.EMAIL)
    await tracking.emit(launched(campaign), due, sent)
    await tracking.until(campaign, lambda s: s["sent"] == 1)
    claims = LinkClaims(sent.message_id, campaign, "p1", CLINIC, Channel.EMAIL)
    secret = tracking.settings.link_secret
    unsubscribe = unsubscribe_link("", secret, claims, now=T0)
    booking = booking_link("", secret, claims, now=T0)

    page = await tracking.public.get(unsubscribe)
    tampered = await tracking.public.post(
        unsubscribe[:-3] + "abc", data={"List-Unsubscribe": "One-Click"}
    )
    expired = await tracking.public.get(
        unsubscribe_link("", secret, claims, now=T0 - timedelta(days=400))
    )
    wrong_purpose = await tracking.public.get(booking.replace("/b/", "/u/"))
    click = await tracking.public.get(booking, follow_redirects=False)
    after_click = await tracking.until(campaign, lambda s: s["clicked"] == 1)
    one_click = await tracking.public.post(unsubscribe, data={"List-Unsubscribe": "One-Click"})

    stats = await tracking.until(campaign, lambda s: s["unsubscribed"] == 1)
    assert page.status_code == 200 and "List-Unsubscribe" in page.text and "<button" in page.text
    assert tampered.status_code == 400 and "not valid" in tampered.text
    assert expired.status_code == 410 and "expired" in expired.text
    assert wrong_purpose.status_code == 400
    assert click.status_code == 303 and click.headers["location"] == BOOKING_URL
    assert after_click["interested"] == 1 and after_click["unsubscribed"] == 0
    assert one_click.status_code == 200 and "unsubscribed" in one_click.text
    assert stats["byChannel"][0]["responses"] == {"CLICKED": 1, "UNSUBSCRIBED": 1}
    assert (await tracking.recipient(campaign, "p1"))["status"] == "UNSUBSCRIBED"


async def test_a_booking_after_a_contact_is_a_rebooking_and_a_cancel_takes_the_revenue_back(
    tracking,
) -> None:
    campaign = new_campaign()
    p1, p2, h1 = (f"{campaign}-{name}" for name in ("p1", "p2", "h1"))  # no other test's
    events = [launched(campaign, incentive_cost=2000)]
    events += step(campaign, p1, cost=50) + step(campaign, p2, cost=50)
    events.append(RecipientHeldOut(campaign_id=campaign, patient_id=h1, at=T0))
    await tracking.emit(*events)
    await tracking.until(campaign, lambda s: s["sent"] == 2 and s["heldOut"] == 1)

    def booked(patient: str, appointment: str, status=AppointmentStatus.BOOKED, code=None):
        return AppointmentUpdated(
            appointment_id=appointment,
            patient_id=patient,
            status=status,
            scheduled_at=T0 + timedelta(days=20),
            value_cents=25000,
            incentive_code=code,
        )

    day_5 = T0 + timedelta(days=5)
    await tracking.emit(booked(p1, "a-1", code="smile20"), at=day_5)
    await tracking.emit(booked(p2, "a-2"), at=day_5)
    await tracking.emit(booked(h1, "a-h"), at=day_5)
    await tracking.emit(booked(p2, "a-late"), at=T0 + timedelta(days=45))  # outside the window
    rebooked = await tracking.until(
        campaign, lambda s: s["rebooked"] == 2 and s["lift"]["holdoutRebooked"] == 1
    )
    await tracking.emit(
        booked(p2, "a-2", status=AppointmentStatus.CANCELLED), at=day_5 + timedelta(days=1)
    )
    after_cancel = await tracking.until(campaign, lambda s: s["revenueCents"] == 25000)

    assert rebooked["revenueCents"] == 50000
    assert rebooked["costCents"] == 100 + 2000  # two messages and one redeemed SMILE20
    assert rebooked["roi"] == pytest.approx((50000 - 2100) / 2100)
    assert after_cancel["roi"] == pytest.approx((25000 - 2100) / 2100)
    first = await tracking.recipient(campaign, p1)
    assert (first["status"], first["response"], first["rebookedAppointmentId"]) == (
        "REBOOKED",
        "REBOOKED",
        "a-1",
    )
    assert (await tracking.recipient(campaign, h1))["status"] == "PENDING"


async def test_another_clinic_sees_no_activity_and_bad_input_names_the_field(tracking) -> None:
    campaign = new_campaign()
    await tracking.emit(*step(campaign, "p1"))
    await tracking.until(campaign, lambda s: s["sent"] == 1)

    theirs = await tracking.stats(campaign, clinic="clinic-b")
    bad_status = await tracking.client.get(
        f"/campaigns/{campaign}/recipients?status=LOST", headers=tracking.headers()
    )
    bad_first = await tracking.client.get(
        f"/campaigns/{campaign}/recipients?first=0", headers=tracking.headers()
    )
    bad_cursor = await tracking.client.get(
        f"/campaigns/{campaign}/recipients?after=not-a-cursor", headers=tracking.headers()
    )
    no_token = await tracking.client.get(f"/campaigns/{campaign}/stats")

    assert theirs["sent"] == 0 and theirs["recipients"] == 0
    for answer, field, code in (
        (bad_status, "status", "NOT_ONE_OF"),
        (bad_first, "first", "OUT_OF_RANGE"),
        (bad_cursor, "after", "BAD_CURSOR"),
    ):
        assert answer.status_code == 422, answer.text
        assert [(f["field"], f["code"]) for f in answer.json()["error"]["fields"]] == [
            (field, code)
        ]
    assert no_token.status_code == 401


async def test_recipients_are_paged_by_cursor_without_repeats(tracking) -> None:
    campaign = new_campaign()
    events = []
    for n in range(23):
        events += step(campaign, f"p{n:02d}", channel=Channel.EMAIL, outcome=SendOutcome_for(n))
    await tracking.emit(*events)
    await tracking.until(campaign, lambda s: s["sent"] + s["failed"] == 23)

    seen, after, pages = [], None, 0
    while True:
        params = {"first": 5, **({"after": after} if after else {})}
        page = await tracking.recipients(campaign, **params)
        seen += [item["patientId"] for item in page["items"]]
        pages += 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    pending = await tracking.recipients(campaign, status="PENDING", first=100, withTotal="true")

    assert sorted(seen) == [f"p{n:02d}" for n in range(23)] and len(seen) == 23 and pages == 5
    assert pending["totalCount"] == 3 == len(pending["items"])


def SendOutcome_for(n: int):
    from reengage_common.events import SendOutcome

    return SendOutcome.FAILED if n % 8 == 0 else SendOutcome.SENT


async def eventually_true(check) -> None:
    await eventually(check, within=30)


async def test_a_batch_of_bookings_is_attributed_from_one_read_of_the_clinics_contacts(
    tracking,
) -> None:
    """More bookings in a batch than are asked for by id (store.FEW_PATIENTS): the clinic's
    contacts are read once and matched by patient; a cancellation in the same batch still
    finds the booking made before it."""
    campaign = new_campaign()
    patients = [f"{campaign}-p{n}" for n in range(20)]
    events: list[Any] = [launched(campaign)]
    for patient in patients:
        events += step(campaign, patient, cost=50)
    await tracking.emit(*events)
    await tracking.until(campaign, lambda s: s["sent"] == 20)
    day_5 = T0 + timedelta(days=5)

    def appointment(patient: str, status: AppointmentStatus) -> AppointmentUpdated:
        return AppointmentUpdated(
            appointment_id=f"a-{patient}",
            patient_id=patient,
            status=status,
            scheduled_at=T0 + timedelta(days=20),
            value_cents=10000,
        )

    bookings = [appointment(patient, AppointmentStatus.BOOKED) for patient in patients]
    await tracking.emit(*bookings, appointment(patients[0], AppointmentStatus.CANCELLED), at=day_5)
    stats = await tracking.until(
        campaign, lambda s: s["rebooked"] == 20 and s["revenueCents"] == 19 * 10000
    )

    assert stats["rebooked"] == 20


async def test_a_spanish_patient_is_answered_in_spanish(tracking) -> None:
    # given patients texted by one campaign: two prefer Spanish, one states no language
    campaign = new_campaign()
    patients = {"p-es": "es-MX", "p-es2": "es", "p-none": None}
    phones = {patient: f"+1555200{n:04d}" for n, patient in enumerate(patients)}
    events = [launched(campaign)]
    for patient, language in patients.items():
        events += step(campaign, patient, phone=phones[patient], language=language)
    await tracking.emit(*events)
    await tracking.until(campaign, lambda s: s["sent"] == 3)

    # when they answer STOP, AYUDA and PARAR
    replies = {"p-es": "STOP", "p-es2": "AYUDA", "p-none": "PARAR"}
    answers = {
        patient: await tracking.twilio(
            "/webhooks/twilio/inbound",
            {
                "From": phones[patient],
                "To": "+15005550006",
                "Body": body,
                "MessageSid": f"SM{patient}{campaign}",
            },
        )
        for patient, body in replies.items()
    }

    # then each answer is in Spanish: by their language, or by the Spanish keyword
    await tracking.until(campaign, lambda s: s["unsubscribed"] == 2)
    assert "se ha dado de baja" in answers["p-es"].text
    assert "contáctenos en (555) 010-0100" in answers["p-es2"].text
    assert "Responda STOP para darse de baja" in answers["p-es2"].text
    assert "se ha dado de baja" in answers["p-none"].text
