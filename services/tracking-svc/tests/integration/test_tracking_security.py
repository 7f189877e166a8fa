"""Issue 17's findings on tracking's public side, through real Kafka and FerretDB: replies reach
the clinic whose number they were sent to, clicks stop nothing, bookings are keyed by clinic."""

from datetime import timedelta

import pytest
from tracking_support import BOOKING_URL, CLINIC, T0, launched, new_campaign, step

from reengage_common.events import AppointmentStatus, AppointmentUpdated, Channel, parse
from reengage_common.messages import LinkClaims, booking_link
from reengage_common.testing import read_topic

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
