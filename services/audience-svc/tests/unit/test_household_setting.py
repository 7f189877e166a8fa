"""A campaign's `groupHouseholds` (issue 22 #3): the fan-out groups a household into one
message unless the campaign turns it off, and the estimate counts the messages it sends."""

from datetime import UTC, datetime
from typing import Any

from audience_unit import CLINIC, Unit, audience_unit, days, launched, patient

from audience_svc.api import EstimateRequest, estimate_of
from reengage_common.events import CampaignLaunched

LAUNCH_DAY = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
FAMILY = "grace@family.example"


async def family_clinic(unit: Unit) -> None:
    """Emma and Liam share their mother's email, Ada has her own."""
    seen = LAUNCH_DAY - days(400)
    for pid, first, email in (
        ("p-emma", "Emma", FAMILY),
        ("p-liam", "Liam", FAMILY),
        ("p-ada", "Ada", "ada@example.com"),
    ):
        await unit.receive(*patient(pid, seen, firstName=first, email=email), at=LAUNCH_DAY)


def messages_due(unit: Unit, campaign_id: str) -> dict[str, list[str]]:
    """Each message.due's patient and the members it names."""
    return {
        due.patient_id: [member.patient_id for member in due.household]
        for due in unit.published("message.due", campaign_id)
    }


async def test_a_household_shares_one_message_by_default() -> None:
    unit = audience_unit(LAUNCH_DAY)
    await family_clinic(unit)

    await unit.receive(launched("c-1", LAUNCH_DAY), at=LAUNCH_DAY)

    assert messages_due(unit, "c-1") == {"p-emma": ["p-emma", "p-liam"], "p-ada": []}


async def test_with_grouping_off_each_patient_gets_their_own_message() -> None:
    unit = audience_unit(LAUNCH_DAY)
    await family_clinic(unit)

    await unit.receive(launched("c-1", LAUNCH_DAY, groupHouseholds=False), at=LAUNCH_DAY)

    assert messages_due(unit, "c-1") == {"p-emma": [], "p-liam": [], "p-ada": []}


def test_a_snapshot_from_before_the_setting_groups() -> None:
    snapshot = launched("c-1", LAUNCH_DAY).model_dump(mode="json", by_alias=True)
    del snapshot["groupHouseholds"]

    assert CampaignLaunched.model_validate(snapshot).group_households is True


async def estimate(unit: Unit, **body: Any) -> dict[str, Any]:
    wanted = EstimateRequest.model_validate(
        {"targeting": {"inactiveDays": 180}, "channels": ["EMAIL"], **body}
    )
    return await estimate_of(CLINIC, wanted, unit.projection, LAUNCH_DAY.timestamp())  # type: ignore[arg-type]


async def test_the_estimate_counts_the_messages_the_fan_out_sends() -> None:
    unit = audience_unit(LAUNCH_DAY)
    await family_clinic(unit)

    grouped = await estimate(unit, countMessages=True, campaignId="c-1")
    one_each = await estimate(unit, countMessages=True, groupHouseholds=False)
    await unit.receive(launched("c-1", LAUNCH_DAY), at=LAUNCH_DAY)

    assert (grouped["targeted"], grouped["messages"]) == (3, 2)
    assert grouped["messagesByChannel"] == {"EMAIL": 2}
    assert grouped["messages"] == len(unit.published("message.due", "c-1"))
    assert (one_each["messages"], one_each["messagesByChannel"]) == (3, {"EMAIL": 3})


async def test_messages_are_counted_only_when_asked() -> None:
    unit = audience_unit(LAUNCH_DAY)
    await family_clinic(unit)

    answer = await estimate(unit)

    assert answer["targeted"] == 3
    assert "messages" not in answer and "messagesByChannel" not in answer
