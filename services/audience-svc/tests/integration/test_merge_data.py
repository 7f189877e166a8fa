"""One patient's merge data for a preview, and the estimate's count of patients lacking a field:
both from the projection, the same values message.due carries."""

import pytest

from reengage_common.events import AppointmentUpdated, PatientUpserted

from .conftest import days_ago, patient, visit

pytestmark = pytest.mark.infra

LAST_VISIT = "patient.lastVisitDate"


async def test_a_patients_merge_data_is_what_their_message_carries(audience) -> None:
    # given a patient seen 200 days ago preferring Spanish, and one who never completed a visit
    # nor gave a name or language
    await audience.publish(
        PatientUpserted,
        patient("p-seen", preferredLanguage="es-MX"),
        patient("p-new", firstName=None),
    )
    await audience.publish(AppointmentUpdated, visit("p-seen", days_ago(200)))
    await audience.wait_for_patients(2)

    # when the preview asks for each, and a launch sends them step 1
    seen = await audience.client.get("/patients/p-seen/merge-data", headers=audience.headers())
    new = await audience.client.get("/patients/p-new/merge-data", headers=audience.headers())
    await audience.launch("c-merge")
    await audience.evaluated("c-merge")
    due = {e.data.patient_id: e.data for e in await audience.events("message.due", "c-merge")}

    # then each answer is exactly the patient part of the merge data their message carries,
    # and the language of its contact
    assert seen.status_code == new.status_code == 200, (seen.text, new.text)
    assert seen.json() == {"patient": due["p-seen"].merge_data["patient"], "language": "es-MX"}
    assert new.json() == {"patient": due["p-new"].merge_data["patient"], "language": None}
    assert (due["p-seen"].contact.language, due["p-new"].contact.language) == ("es-MX", None)
    assert seen.json()["patient"]["lastVisitDate"] == days_ago(200).date().isoformat()
    assert new.json()["patient"] == {
        "firstName": None,
        "lastName": "Lovelace",
        "lastVisitDate": None,
        "treatmentStage": "HYGIENE_RECALL",
    }


async def test_a_patient_nobody_announced_or_of_another_clinic_is_not_found(audience) -> None:
    await audience.publish(PatientUpserted, patient("p-theirs"))
    await audience.wait_for_patients(1)
    other = audience.headers(clinic="clinic-other")

    nobody = await audience.client.get("/patients/p-nobody/merge-data", headers=audience.headers())
    theirs = await audience.client.get("/patients/p-theirs/merge-data", headers=other)

    assert (nobody.status_code, theirs.status_code) == (404, 404)
    assert nobody.json()["error"]["message"] == "patient p-nobody not found"


async def test_merge_data_needs_the_manage_permission(audience) -> None:
    answer = await audience.client.get(
        "/patients/p-seen/merge-data", headers=audience.headers(["booking:view_analytics"])
    )

    assert answer.status_code == 403


async def test_the_estimate_counts_targeted_patients_lacking_each_merge_field(audience) -> None:
    # given two targeted patients without a completed visit, one without a first name, and
    # one seen long ago
    await audience.publish(
        PatientUpserted,
        patient("e-seen"),
        patient("e-new"),
        patient("e-anonymous", firstName=""),
    )
    await audience.publish(AppointmentUpdated, visit("e-seen", days_ago(400)))
    await audience.wait_for_patients(3)
    template = {
        "channel": "EMAIL",
        "subject": "Hi {{ patient.firstName | default('there') }}",
        "body": "Last seen {{ patient.lastVisitDate | ago }}. {{ clinic.name }}",
        "sequence": 1,
    }
    targeting = {"inactiveDays": 180}

    # when the estimate is asked for the fields, or for the campaign's templates
    by_fields = await audience.estimate_once(
        lambda answer: answer["patients"] >= 3,
        targeting=targeting,
        mergeFields=[LAST_VISIT, "patient.firstName"],
    )
    by_templates = await audience.estimate(
        targeting=targeting, channels=["EMAIL"], messageTemplates=[template]
    )
    plain = await audience.estimate(targeting=targeting)

    # then both count, among the patients the campaign targets, who lacks each field
    missing = {m["field"]: m["count"] for m in by_fields["missingFields"]}
    assert missing == {"patient.firstName": 1, LAST_VISIT: 2}
    assert by_templates["missingFields"] == by_fields["missingFields"]
    assert "missingFields" not in plain
