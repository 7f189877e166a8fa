"""Every targeting rule with a patient just inside and one just outside it, through events and
the estimate, and a launch's exclusions adding up to the clinic's patients."""

from datetime import timedelta

import pytest

from reengage_common.events import (
    AppointmentUpdated,
    MessageSent,
    PatientUpserted,
    RecipientResponded,
)

from .conftest import NOW, days_ago, patient, visit

pytestmark = pytest.mark.infra
MINUTE = timedelta(minutes=1)


def sent(patient_id: str, campaign_id: str, at) -> dict:
    return {
        "messageId": f"m-{patient_id}-{campaign_id}",
        "campaignId": campaign_id,
        "patientId": patient_id,
        "sequence": 1,
        "channel": "EMAIL",
        "outcome": "SENT",
        "at": at.isoformat(),
    }


async def test_inactivity_counts_from_the_last_completed_visit_or_created_at(audience) -> None:
    # given
    await audience.publish(
        PatientUpserted,
        patient("visited-180-days-ago"),
        patient("visited-a-minute-short"),
        patient("never-visited-created-180-days-ago", createdAt=days_ago(180).isoformat()),
        patient("never-visited-created-recently", createdAt=(days_ago(180) + MINUTE).isoformat()),
    )
    await audience.publish(
        AppointmentUpdated,
        visit("visited-180-days-ago", days_ago(180)),
        visit("visited-a-minute-short", days_ago(180) + MINUTE),
    )
    await audience.wait_for_patients(4)

    # when
    answer = await audience.estimate(targeting={"inactiveDays": 180})

    # then
    assert answer["total"] == 2
    assert answer["excluded"] == {"VISITED_RECENTLY": 2}


async def test_each_rule_excludes_the_patient_just_outside_it(audience) -> None:
    # given one patient per rule just outside it, and one just inside, all lapsed a year
    outside = {
        "UPCOMING_APPOINTMENT": patient("booked-in-a-minute"),
        "TREATMENT_STAGE": patient("in-retention", treatmentStage="RETENTION"),
        "NO_SHOW": patient("no-show-last"),
        "DROPOUT": patient("dropout", treatmentStatus="DISCONTINUED"),
        "CONTACTED_RECENTLY": patient("contacted-29-days-ago"),
        "DO_NOT_CONTACT": patient("dnc", doNotContact=True),
        "DECEASED": patient("deceased", deceased=True),
        "UNSUBSCRIBED": patient("unsubscribed"),
    }
    inside = [
        patient("booked-a-minute-ago"),
        patient("no-show-then-completed"),
        patient("contacted-30-days-ago"),
    ]
    await audience.publish(PatientUpserted, *outside.values(), *inside)
    year_ago = days_ago(365)
    await audience.publish(
        AppointmentUpdated,
        *(visit(p["patientId"], year_ago) for p in [*outside.values(), *inside]),
        visit("booked-in-a-minute", NOW + MINUTE, "BOOKED", 2),
        visit("booked-a-minute-ago", NOW - MINUTE, "BOOKED", 2),
        visit("no-show-last", days_ago(300), "NO_SHOW", 2),
        visit("no-show-then-completed", days_ago(300), "NO_SHOW", 2),
        visit("no-show-then-completed", days_ago(250), "COMPLETED", 3),
    )
    await audience.publish(
        MessageSent,
        sent("contacted-29-days-ago", "old", days_ago(29)),
        sent("contacted-30-days-ago", "old", days_ago(30)),
    )
    await audience.publish(
        RecipientResponded,
        {
            "campaignId": "old",
            "patientId": "unsubscribed",
            "kind": "UNSUBSCRIBED",
            "at": days_ago(100).isoformat(),
        },
    )
    await audience.wait_for_patients(11)

    # when
    answer = await audience.estimate_once(
        lambda a: len(a["excluded"]) == len(outside),
        targeting={
            "inactiveDays": 180,
            "treatmentStages": ["HYGIENE_RECALL"],
            "includeNoShows": False,
            "includeDropouts": False,
            "excludeRecentContact": True,
            "excludeContactDays": 30,
        },
    )

    # then
    assert answer["excluded"] == dict.fromkeys(outside, 1)
    assert answer["total"] == len(inside)
    assert answer["patients"] == answer["total"] + sum(answer["excluded"].values()) == 11


async def test_no_shows_dropouts_and_recent_contact_are_kept_when_the_campaign_says_so(
    audience,
) -> None:
    await audience.publish(
        PatientUpserted,
        patient("no-show-last"),
        patient("dropout", treatmentStatus="DISCONTINUED"),
        patient("contacted-yesterday"),
    )
    await audience.publish(
        AppointmentUpdated,
        visit("no-show-last", days_ago(365)),
        visit("no-show-last", days_ago(300), "NO_SHOW", 2),
        visit("dropout", days_ago(365)),
        visit("contacted-yesterday", days_ago(365)),
    )
    await audience.publish(MessageSent, sent("contacted-yesterday", "old", days_ago(1)))
    await audience.wait_for_patients(3)

    answer = await audience.estimate_once(
        lambda a: a["excluded"],
        targeting={
            "inactiveDays": 180,
            "includeNoShows": True,
            "includeDropouts": True,
            "excludeRecentContact": False,
        },
    )

    # contacted yesterday by campaign "old": the 30-day cross-campaign rule still holds
    assert answer["total"] == 2
    assert answer["excluded"] == {"TARGETED_BY_OTHER_CAMPAIGN": 1}


async def test_another_campaign_within_30_days_excludes_and_after_30_days_does_not(
    audience,
) -> None:
    await audience.publish(PatientUpserted, patient("other-29-days"), patient("other-30-days"))
    await audience.publish(
        AppointmentUpdated,
        visit("other-29-days", days_ago(365)),
        visit("other-30-days", days_ago(365)),
    )
    await audience.publish(
        MessageSent,
        sent("other-29-days", "other", days_ago(29)),
        sent("other-30-days", "other", days_ago(30)),
    )
    await audience.wait_for_patients(2)

    answer = await audience.estimate_once(
        lambda a: a["excluded"], targeting={"inactiveDays": 180, "excludeRecentContact": False}
    )

    assert answer["total"] == 1
    assert answer["excluded"] == {"TARGETED_BY_OTHER_CAMPAIGN": 1}


async def test_a_launch_counts_every_patient_once_and_matches_its_estimate(audience) -> None:
    # given
    stages = ["HYGIENE_RECALL", "RETENTION", "ACTIVE_TREATMENT"]
    patients = [
        patient(f"p-{n}", treatmentStage=stages[n % 3], doNotContact=n % 11 == 0) for n in range(60)
    ]
    await audience.publish(PatientUpserted, *patients)
    await audience.publish(
        AppointmentUpdated, *(visit(f"p-{n}", days_ago(30 + n * 5)) for n in range(60))
    )
    await audience.wait_for_patients(60)
    targeting = {"inactiveDays": 120, "treatmentStages": ["HYGIENE_RECALL", "RETENTION"]}
    estimate = await audience.estimate(
        targeting=targeting, channels=["EMAIL", "SMS"], campaignId="c-match", holdoutPercent=10
    )

    # when
    await audience.launch("c-match", targeting=targeting, holdoutPercent=10)
    evaluated = await audience.evaluated("c-match")

    # then
    assert (evaluated.targeted, evaluated.held_out) == (estimate["targeted"], estimate["heldOut"])
    assert evaluated.excluded == estimate["excluded"]
    assert evaluated.targeted + evaluated.held_out + sum(evaluated.excluded.values()) == 60
    due = await audience.events("message.due", "c-match")
    held = await audience.events("recipient.held_out", "c-match")
    assert len({e.data.message_id for e in due}) == len(due) == evaluated.targeted
    assert len(held) == evaluated.held_out
