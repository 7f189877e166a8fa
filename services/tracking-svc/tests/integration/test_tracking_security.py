"""Issue 17's findings on tracking's public side, through real Kafka and FerretDB: replies reach
the clinic whose number they were sent to, clicks stop nothing, bookings are keyed by clinic."""

from datetime import timedelta

import pytest
from tracking_support import BOOKING_URL, CLINIC, SMS_FROM, T0, launched, new_campaign, step

from reengage_common.events import AppointmentStatus, AppointmentUpdated, Channel, parse
from reengage_common.messages import LinkClaims, booking_link, unsubscribe_link
from reengage_testing import read_topic

pytestmark = pytest.mark.infra
OTHER = "clinic-b"


def appointment(patient: str, appointment_id: str, status=AppointmentStatus.BOOKED):
    return AppointmentUpdated(
        appointment_id=appointment_id,
        patient_id=patient,
        status=status,
        scheduled_at=T0 + timedelta(days=20),
        value_cents=25000,
    )


async def test_another_clinics_equal_appointment_id_leaves_this_clinics_booking_alone(
    tracking,
) -> None:
    # given two clinics that each contacted a patient, and share an appointment id by chance
    ours, theirs = new_campaign(), new_campaign()
    mine, other = f"{ours}-p1", f"{theirs}-p1"
    shared = f"a-{ours}"
    await tracking.emit(launched(ours), *step(ours, mine))
    await tracking.emit(launched(theirs), *step(theirs, other), clinic=OTHER)
    await tracking.until(ours, lambda s: s["sent"] == 1)
    day_5 = T0 + timedelta(days=5)

    # when the other clinic's booking is stored first, then ours, then ours is cancelled
    await tracking.emit(appointment(other, shared), clinic=OTHER, at=day_5)
    await tracking.until(theirs, lambda s: s["rebooked"] == 1, clinic=OTHER)
    await tracking.emit(appointment(mine, shared), at=day_5)
    await tracking.until(ours, lambda s: s["rebooked"] == 1)
    cancel = appointment(mine, shared, AppointmentStatus.CANCELLED)
    await tracking.emit(cancel, at=day_5 + timedelta(days=1))

    # then our cancellation finds our booking and takes its revenue back
    stats = await tracking.until(ours, lambda s: s["revenueCents"] == 0)
    assert stats["revenueCents"] == 0
    assert (await tracking.stats(theirs, clinic=OTHER))["revenueCents"] == 25000


SCANNERS = [
    {"user-agent": "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"},
    {"user-agent": "facebookexternalhit/1.1"},
    {"user-agent": "WhatsApp/2.23.20.0"},
    {"user-agent": "Mozilla/5.0 (compatible; Proofpoint URL Defense)"},
    {"user-agent": "Mozilla/5.0 Chrome/120", "sec-purpose": "prefetch;prerender"},
    {"user-agent": "Mozilla/5.0 Firefox/120", "purpose": "prefetch"},
]


async def test_a_booking_link_is_a_click_only_when_a_patient_opens_it(tracking) -> None:
    # given an emailed booking link
    campaign = new_campaign()
    due, sent = step(campaign, "p1", channel=Channel.EMAIL)
    await tracking.emit(launched(campaign), due, sent)
    await tracking.until(campaign, lambda s: s["sent"] == 1)
    claims = LinkClaims(sent.message_id, campaign, "p1", CLINIC)
    link = booking_link("", tracking.settings.link_secret, claims, now=T0)

    # when a HEAD, link scanners and prefetches open it, then the patient clicks
    head = await tracking.public.head(link)
    scanned = [await tracking.public.get(link, headers=headers) for headers in SCANNERS]
    click = await tracking.public.get(link, headers={"user-agent": "Mozilla/5.0 Safari/17"})

    # then every one is sent to the booking page, and only the click is recorded: as CLICKED
    stats = await tracking.until(campaign, lambda s: s["clicked"] == 1)
    for answer in (head, *scanned, click):
        assert answer.status_code == 303 and answer.headers["location"] == BOOKING_URL
    published = await read_topic(
        tracking.settings, tracking.settings.topic("recipient.responded"), count=500, within=3
    )
    ours = [parse(r.value) for r in published if parse(r.value).data.campaign_id == campaign]
    assert [e.data.kind.value for e in ours] == ["CLICKED"]
    assert stats["byChannel"][0]["responses"] == {"CLICKED": 1}


async def test_a_reply_reaches_the_clinic_whose_number_it_was_sent_to(tracking) -> None:
    # given one phone, a patient of two clinics with their own numbers, texted by both (B last)
    phone, number_b = "+15553330001", "+15005550007"
    ours, theirs = new_campaign(), new_campaign()
    await tracking.emit(launched(ours), *step(ours, "p-a", phone=phone))
    await tracking.emit(
        launched(theirs, sms_from=number_b),
        *step(theirs, "p-b", phone=phone, minutes=5),
        clinic=OTHER,
    )
    await tracking.until(ours, lambda s: s["sent"] == 1)
    await tracking.until(theirs, lambda s: s["sent"] == 1, clinic=OTHER)

    # when the patient writes to A's number, then sends STOP to it; and texts a stranger number
    def inbound(body: str, sid: str, to: str = SMS_FROM) -> dict[str, str]:
        return {"From": phone, "To": to, "Body": body, "MessageSid": f"SM{sid}{ours}"}

    path = "/webhooks/twilio/inbound"
    question = await tracking.twilio(path, inbound("Is Tuesday ok?", "q"))
    stop = await tracking.twilio(path, inbound("STOP", "s"))
    stranger = await tracking.twilio(path, inbound("YES", "x", to="+15009990000"))

    # then both reach A only; B's patient stays contacted and subscribed; the stranger's is kept
    mine = await tracking.until(ours, lambda s: s["unsubscribed"] == 1 and s["replied"] == 1)
    assert (question.status_code, stop.status_code, stranger.status_code) == (200, 200, 200)
    assert "unsubscribed" in stop.text and "<Message>" not in stranger.text
    assert mine["unsubscribed"] == 1
    theirs_now = await tracking.stats(theirs, clinic=OTHER)
    assert (theirs_now["replied"], theirs_now["unsubscribed"], theirs_now["interested"]) == (
        0,
        0,
        0,
    )
    assert (await tracking.recipient(ours, "p-a"))["replies"][0]["text"] == "Is Tuesday ok?"
    published = await read_topic(
        tracking.settings, tracking.settings.topic("recipient.responded"), count=500, within=3
    )
    replies = [parse(r.value) for r in published]
    replies = [e for e in replies if e.data.patient_id in ("p-a", "p-b")]
    assert [(e.clinic_id, e.data.kind.value) for e in replies] == [(CLINIC, "UNSUBSCRIBED")]
    kept = await unmatched_inbound(tracking, f"SMx{ours}")
    assert kept is not None and kept["to"] == "+15009990000"


async def unmatched_inbound(tracking, sid: str) -> dict | None:
    from pymongo import AsyncMongoClient

    client = AsyncMongoClient(tracking.settings.mongo_url)
    try:
        return await client[tracking.settings.database_name]["unmatched_inbound"].find_one(
            {"_id": sid}
        )
    finally:
        await client.close()


async def test_a_clinic_revokes_its_links_made_before_a_moment(tracking) -> None:
    # given a link made two days ago and one made now, and the clinic revoking yesterday's
    campaign = new_campaign()
    due, sent = step(campaign, "p1", channel=Channel.EMAIL)
    await tracking.emit(launched(campaign), due, sent)
    await tracking.until(campaign, lambda s: s["sent"] == 1)
    claims = LinkClaims(sent.message_id, campaign, "p1", CLINIC, Channel.EMAIL)
    secret = tracking.settings.link_secret
    old = unsubscribe_link("", secret, claims, now=T0 - timedelta(days=2))
    new = booking_link("", secret, claims, now=T0)
    tracking.settings.link_revoked_before = {CLINIC: T0 - timedelta(days=1)}
    try:
        # when both are used
        revoked = await tracking.public.post(old, data={"List-Unsubscribe": "One-Click"})
        fresh = await tracking.public.get(new)
    finally:
        tracking.settings.link_revoked_before = {}

    # then the old one changes nothing, the new one works
    assert revoked.status_code == 410 and fresh.status_code == 303
    stats = await tracking.until(campaign, lambda s: s["clicked"] == 1)
    assert stats["unsubscribed"] == 0


async def test_the_public_port_serves_only_the_public_routes(tracking) -> None:
    # given a booking link and the internal routes
    campaign = new_campaign()
    due, sent = step(campaign, "p1", channel=Channel.EMAIL)
    await tracking.emit(launched(campaign), due, sent)
    link = booking_link(
        "",
        tracking.settings.link_secret,
        LinkClaims(sent.message_id, campaign, "p1", CLINIC),
        now=T0,
    )
    internal = ["/metrics", "/readyz", f"/campaigns/{campaign}/stats"]

    # when each is asked for on the other port
    public_answers = {path: await tracking.public.get(path) for path in internal}
    public_with_token = await tracking.public.get(internal[2], headers=tracking.headers())
    on_internal = {
        path: await tracking.client.request(method, path)
        for method, path in (("GET", link), ("POST", "/webhooks/twilio/inbound"))
    }

    # then neither port answers the other's routes; each answers its own
    assert {path: a.status_code for path, a in public_answers.items()} == dict.fromkeys(
        internal, 404
    )
    assert public_with_token.status_code == 404
    assert {path: a.status_code for path, a in on_internal.items()} == {
        link: 404,
        "/webhooks/twilio/inbound": 404,
    }
    assert (await tracking.public.get(link)).status_code == 303
    assert (await tracking.client.get("/metrics")).status_code == 200
