"""The clinic profile through the gateway to the real campaign-svc, Kafka and FerretDB: each
clinic keeps its own, bad fields are named and change nothing, previews and launches use it, and
a launch is refused while it lacks what the campaign's channels need. Also the two campaign
corrections that came with it: a draft needs no start date, and live campaigns of a clinic never
share an incentive code in overlapping periods."""

import asyncio
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest

from reengage_testing import COMPLETE_CLINIC_PROFILE

pytestmark = pytest.mark.infra

PROFILE_FIELDS = """
  name phone email timezone bookingUrl emailFrom smsFrom website
  address { line1 line2 city state postalCode country }
  quietHours { start end }
"""
CLINIC = f"query {{ clinic {{ {PROFILE_FIELDS} }} }}"
UPDATE = f"""
mutation Update($p: ClinicProfileInput!) {{
  updateClinicProfile(input: $p) {{
    __typename
    ... on ClinicProfile {{ {PROFILE_FIELDS} }}
    ... on ValidationError {{ message fields {{ field message code }} }}
  }}
}}
"""
PREVIEW = """
mutation($id: ID!) { previewCampaign(id: $id) {
  __typename ... on CampaignPreview { messages { channel body } } } }
"""
LAUNCH = """
mutation($id: ID!) { launchCampaign(id: $id) {
  __typename
  ... on Campaign { id status schedule { startDate } launchedAt }
  ... on ValidationError { fields { field message code } }
} }
"""
CREATE = """
mutation($input: CampaignInput!) { createCampaign(input: $input) {
  __typename
  ... on Campaign { id status schedule { startDate timezone } }
  ... on ValidationError { fields { field message } }
} }
"""
# The profile as GraphQL answers it: every field, the legal window by default.
ANSWERED = {
    **COMPLETE_CLINIC_PROFILE,
    "address": {**COMPLETE_CLINIC_PROFILE["address"], "line2": None},
    "quietHours": {"start": "08:00", "end": "21:00"},
}


def new_clinic() -> str:
    return f"clinic-profile-{uuid.uuid4().hex[:8]}"


async def profile_of(stack, clinic: str) -> dict[str, Any] | None:
    answer = await stack.graphql(CLINIC, clinic=clinic)
    assert "errors" not in answer, answer
    return answer["data"]["clinic"]


async def launch(stack, campaign_id: str, clinic: str) -> dict[str, Any]:
    return (await stack.graphql(LAUNCH, {"id": campaign_id}, clinic=clinic))["data"][
        "launchCampaign"
    ]


async def test_a_clinic_saves_its_profile_and_reads_it_back_over_graphql_and_rest(stack) -> None:
    # given a clinic without a profile
    clinic = new_clinic()
    assert await profile_of(stack, clinic) is None
    missing = await stack.rest("GET", "/api/booking/clinic", clinic=clinic)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "NOT_FOUND"

    # when a manager saves one
    saved = await stack.graphql(
        UPDATE, {"p": COMPLETE_CLINIC_PROFILE}, persona="manager", clinic=clinic
    )

    # then both APIs answer it, with the legal sending window by default
    assert saved["data"]["updateClinicProfile"] == {"__typename": "ClinicProfile", **ANSWERED}
    assert await profile_of(stack, clinic) == ANSWERED
    read = await stack.rest(
        "GET", "/api/booking/clinic", persona="staff with view only", clinic=clinic
    )
    assert read.status_code == 200 and read.json() == ANSWERED

    # and a PUT replaces the whole profile: what it leaves out is gone
    narrowed = {**COMPLETE_CLINIC_PROFILE, "quietHours": {"start": "09:00", "end": "18:00"}}
    del narrowed["website"]
    put = await stack.rest("PUT", "/api/booking/clinic", json=narrowed, clinic=clinic)
    assert put.status_code == 200, put.text
    assert put.json()["website"] is None and put.json()["quietHours"] == {
        "start": "09:00",
        "end": "18:00",
    }


@pytest.mark.parametrize(
    ("changes", "codes"),
    [
        ({"timezone": "Mars/Olympus"}, {"timezone": "INVALID_TIME_ZONE"}),
        ({"bookingUrl": "http://brightsmiles.example/book"}, {"bookingUrl": "NOT_HTTPS"}),
        ({"emailFrom": "hello@brightsmiles.example"}, {"emailFrom": "INVALID_EMAIL"}),
        ({"smsFrom": "312-555-0100"}, {"smsFrom": "NOT_E164"}),
        ({"email": "not-an-address"}, {"email": "INVALID_EMAIL"}),
        ({"phone": "call us"}, {"phone": "INVALID_PHONE"}),
        ({"website": "brightsmiles.example"}, {"website": "NOT_HTTPS"}),
        ({"name": " "}, {"name": "REQUIRED"}),
        (
            {"address": {"line1": "100 Main Street"}},
            {
                "address.city": "REQUIRED",
                "address.postalCode": "REQUIRED",
                "address.country": "REQUIRED",
            },
        ),
        (
            {"quietHours": {"start": "07:00", "end": "22:00"}},
            {"quietHours.start": "OUTSIDE_LEGAL_HOURS", "quietHours.end": "OUTSIDE_LEGAL_HOURS"},
        ),
        ({"quietHours": {"start": "18:00", "end": "09:00"}}, {"quietHours": "EMPTY_WINDOW"}),
        (
            {"timezone": "Nowhere", "smsFrom": "+1", "bookingUrl": "ftp://x"},
            {"timezone": "INVALID_TIME_ZONE", "smsFrom": "NOT_E164", "bookingUrl": "NOT_HTTPS"},
        ),
    ],
)
async def test_each_bad_field_is_named_with_its_code_and_the_saved_profile_is_untouched(
    stack, changes: dict[str, Any], codes: dict[str, str]
) -> None:
    # given a clinic with a complete profile
    clinic = new_clinic()
    await stack.give_profile(clinic)

    # when a profile with bad fields is sent over GraphQL and over REST
    bad = {**COMPLETE_CLINIC_PROFILE, **changes}
    graphql = (await stack.graphql(UPDATE, {"p": bad}, clinic=clinic))["data"][
        "updateClinicProfile"
    ]
    rest = await stack.rest("PUT", "/api/booking/clinic", json=bad, clinic=clinic)

    # then both name exactly the bad fields, each with its code, and nothing changed
    assert graphql["__typename"] == "ValidationError", graphql
    assert {f["field"]: f["code"] for f in graphql["fields"]} == codes
    assert rest.status_code == 422
    assert {f["field"]: f["code"] for f in rest.json()["error"]["fields"]} == codes
    assert await profile_of(stack, clinic) == ANSWERED


async def test_a_profile_of_the_wrong_type_is_refused_by_field_over_rest(stack) -> None:
    clinic = new_clinic()

    answer = await stack.rest(
        "PUT", "/api/booking/clinic", json={"name": ["x"], "address": "no"}, clinic=clinic
    )

    assert answer.status_code == 422
    fields = {f["field"] for f in answer.json()["error"]["fields"]}
    assert {"name", "timezone"} <= fields
    assert await profile_of(stack, clinic) is None


async def test_each_clinic_sees_only_its_own_profile_and_only_managers_change_it(stack) -> None:
    # given two clinics, each with its own profile
    ours, theirs = new_clinic(), new_clinic()
    await stack.give_profile(ours, name="Ours Dental")
    await stack.give_profile(theirs, name="Theirs Orthodontics")

    # when a viewer tries to change ours, and a manager of theirs saves theirs again
    refused = await stack.graphql(
        UPDATE,
        {"p": {**COMPLETE_CLINIC_PROFILE, "name": "Hijacked"}},
        persona="staff with view only",
        clinic=ours,
    )
    rest_refused = await stack.rest(
        "PUT",
        "/api/booking/clinic",
        json=COMPLETE_CLINIC_PROFILE,
        persona="staff with view only",
        clinic=ours,
    )
    nobody = await stack.rest(
        "GET", "/api/booking/clinic", persona="staff without permissions", clinic=ours
    )
    await stack.give_profile(theirs, name="Theirs Again")

    # then the viewer is refused and nothing of ours changed; each clinic reads its own
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert rest_refused.status_code == 403 and nobody.status_code == 403
    assert (await profile_of(stack, ours))["name"] == "Ours Dental"
    assert (await profile_of(stack, theirs))["name"] == "Theirs Again"


async def test_concurrent_updates_leave_one_whole_profile(stack) -> None:
    # given a clinic, and twelve complete profiles that differ in every field they can
    clinic = new_clinic()
    versions = [
        {
            **COMPLETE_CLINIC_PROFILE,
            "name": f"Clinic {n}",
            "website": f"https://clinic-{n}.example",
            "quietHours": {"start": f"{8 + n % 4:02d}:00", "end": "20:00"},
        }
        for n in range(12)
    ]
    headers = stack.headers("manager", clinic)

    # when they are PUT at once, straight to campaign-svc (no gateway in between)
    answers = await asyncio.gather(
        *(stack.campaign_svc.put("/clinic", json=v, headers=headers) for v in versions)
    )

    # then each is stored, or (having lost the race too often) refused as a conflict to retry,
    # and the current profile is exactly one stored version, never a mix of two
    codes = [a.status_code for a in answers]
    assert set(codes) <= {200, 409} and 200 in codes, [a.text for a in answers]
    stored = {v["name"] for v, code in zip(versions, codes, strict=True) if code == 200}
    current = (await stack.campaign_svc.get("/clinic", headers=headers)).json()
    assert current["name"] in stored
    n = int(current["name"].removeprefix("Clinic "))
    assert current["website"] == f"https://clinic-{n}.example"
    assert current["quietHours"] == versions[n]["quietHours"]


async def test_a_preview_speaks_for_the_clinic_and_a_new_campaign_takes_its_time_zone(
    stack, new_campaign_input
) -> None:
    # given a clinic in Denver with its own name
    clinic = new_clinic()
    await stack.give_profile(clinic, name="Mile High Smiles", timezone="America/Denver")
    definition = new_campaign_input()
    del definition["schedule"]["timezone"]

    # when it creates a campaign without a time zone and previews it
    created = (await stack.graphql(CREATE, {"input": definition}, clinic=clinic))["data"][
        "createCampaign"
    ]
    preview = (await stack.graphql(PREVIEW, {"id": created["id"]}, clinic=clinic))["data"][
        "previewCampaign"
    ]

    # then the campaign runs on the clinic's clock and the SMS names the clinic
    assert created["schedule"]["timezone"] == "America/Denver"
    sms = next(m for m in preview["messages"] if m["channel"] == "SMS")
    assert sms["body"].startswith("Mile High Smiles: book at ")


async def test_campaign_launched_carries_the_profile_as_it_was_at_launch(stack) -> None:
    # given a clinic with a profile and a campaign it launched
    clinic = new_clinic()
    await stack.give_profile(clinic, quietHours={"start": "09:00", "end": "20:00"})
    campaign = await stack.campaign(clinic=clinic)
    assert (await launch(stack, campaign["id"], clinic))["status"] == "ACTIVE"

    # when the profile changes afterwards
    await stack.give_profile(clinic, name="Renamed Later")

    # then the launch's snapshot holds the whole profile as it was
    (launched,) = await stack.events("campaign.launched", campaign["id"], count=1)
    snapshot = launched.data.clinic
    assert snapshot is not None
    assert snapshot.model_dump(mode="json", by_alias=True) == {
        **ANSWERED,
        "quietHours": {"start": "09:00", "end": "20:00"},
    }


@pytest.mark.parametrize(
    ("channels", "missing", "needs"),
    [
        (["EMAIL"], ["address", "emailFrom"], {"clinic.address", "clinic.emailFrom"}),
        (["SMS"], ["smsFrom"], {"clinic.smsFrom"}),
        (["MAIL"], ["address"], {"clinic.address"}),
        (["EMAIL"], ["emailFrom"], {"clinic.emailFrom"}),
    ],
)
async def test_a_launch_is_refused_naming_what_the_profile_lacks_for_its_channels(
    stack, new_campaign_input, channels: list[str], missing: list[str], needs: set[str]
) -> None:
    # given a clinic whose profile lacks what the campaign's channels need
    clinic = new_clinic()
    await stack.give_profile(clinic, **dict.fromkeys(missing))
    steps = [
        {"channel": channel, "subject": "Hello", "body": "Book: {{ bookingLink }}", "sequence": 1}
        for channel in channels
    ]
    draft = await stack.campaign(
        clinic=clinic, channels=channels, messageTemplates=steps, variants=[{"name": "A"}]
    )

    # when it is launched
    refused = await launch(stack, draft["id"], clinic)

    # then the launch names each missing profile field and the campaign stays a draft
    assert refused["__typename"] == "ValidationError", refused
    assert {f["field"] for f in refused["fields"]} == needs
    assert {f["code"] for f in refused["fields"]} == {"PROFILE_INCOMPLETE"}
    assert (await stack.stored(draft["id"], clinic=clinic))["status"] == "DRAFT"

    # and once the profile is complete, it launches
    await stack.give_profile(clinic)
    assert (await launch(stack, draft["id"], clinic))["__typename"] == "Campaign"


async def test_a_launch_sending_as_an_unverified_domain_is_refused(
    stack, new_campaign_input
) -> None:
    # given a clinic whose emails would come from a domain the platform never verified (the
    # suite verifies only `*.example`, as development does)
    clinic = new_clinic()
    await stack.give_profile(clinic, emailFrom="Big Brand <news@bigbrand.com>")
    draft = await stack.campaign(clinic=clinic)

    # when it is launched
    refused = await launch(stack, draft["id"], clinic)

    # then the launch is refused naming the sender, and the campaign stays a draft
    assert refused["__typename"] == "ValidationError", refused
    assert [(f["field"], f["code"]) for f in refused["fields"]] == [
        ("clinic.emailFrom", "SENDER_NOT_VERIFIED")
    ]
    assert (await stack.stored(draft["id"], clinic=clinic))["status"] == "DRAFT"


async def test_a_launch_without_any_profile_is_refused(stack, new_campaign_input) -> None:
    clinic = new_clinic()
    draft = await stack.campaign(clinic=clinic)

    refused = await launch(stack, draft["id"], clinic)

    assert refused["__typename"] == "ValidationError", refused
    assert {f["field"] for f in refused["fields"]} == {
        "clinic.address",
        "clinic.emailFrom",
        "clinic.smsFrom",
    }


async def test_a_draft_needs_no_start_date_and_launching_it_starts_it_now(
    stack, new_campaign_input
) -> None:
    # given a draft saved without a start date
    clinic = new_clinic()
    await stack.give_profile(clinic)
    definition = new_campaign_input()
    del definition["schedule"]["startDate"]
    created = (await stack.graphql(CREATE, {"input": definition}, clinic=clinic))["data"][
        "createCampaign"
    ]
    assert created["__typename"] == "Campaign", created
    assert created["status"] == "DRAFT" and created["schedule"]["startDate"] is None

    # when it is launched
    launched = await launch(stack, created["id"], clinic)

    # then it is live at once, its start recorded as the launch, in the snapshot too
    now = stack.clock.now
    assert launched["status"] == "ACTIVE"
    assert datetime.fromisoformat(launched["schedule"]["startDate"]) == now
    assert datetime.fromisoformat(launched["launchedAt"]) == now
    (event,) = await stack.events("campaign.launched", created["id"], count=1)
    assert event.data.schedule.start_date == now


async def test_live_campaigns_of_a_clinic_never_share_a_code_in_overlapping_periods(
    stack, new_campaign_input
) -> None:
    # given an active campaign using SPRING26 until day 30
    clinic = new_clinic()
    now = stack.clock.now
    until = now + timedelta(days=30)
    running = await stack.campaign(
        "ACTIVE",
        clinic=clinic,
        incentive={"incentiveCode": "SPRING26"},
        schedule={"startDate": now.isoformat(), "endDate": until.isoformat()},
    )

    # when its duplicate is given the same code, and another draft runs after it with that code
    copy = (
        await stack.rest("POST", f"/api/booking/campaigns/{running['id']}/duplicate", clinic=clinic)
    ).json()
    assert copy["incentive"]["incentiveCode"] is None  # the copy starts without the code
    same = await stack.rest(
        "PUT",
        f"/api/booking/campaigns/{copy['id']}",
        json=new_campaign_input(incentive={"incentiveCode": "spring26"}),
        clinic=clinic,
    )
    assert same.status_code == 200, same.text
    later = await stack.campaign(
        clinic=clinic,
        incentive={"incentiveCode": "SPRING26"},
        schedule={"startDate": until.isoformat()},
    )

    # then the overlapping one is refused naming the code and the campaign that holds it
    refused = await launch(stack, copy["id"], clinic)
    assert refused["__typename"] == "ValidationError", refused
    (problem,) = refused["fields"]
    assert problem["field"] == "incentive.incentiveCode" and problem["code"] == "CODE_IN_USE"
    assert running["id"] in problem["message"] and "spring26" in problem["message"]
    assert (await stack.stored(copy["id"], clinic=clinic))["status"] == "DRAFT"
    # and the one that starts when the first ends is launched
    assert (await launch(stack, later["id"], clinic))["status"] == "SCHEDULED"
