from datetime import UTC, datetime
from typing import Any

import pytest

from campaign_svc.domain.model import (
    Campaign,
    FieldError,
    InvalidCampaign,
    apply_changes,
    parse_campaign_input,
)
from reengage_common.error_codes import CampaignErrorCode as Code
from reengage_common.events import CampaignStatus, Channel, Variant


def test_a_request_reads_with_the_spec_defaults(campaign_document: dict[str, Any]) -> None:
    del campaign_document["description"], campaign_document["incentive"]

    campaign = parse_campaign_input(campaign_document)

    assert campaign.variants == [Variant(name="A", weight=1)]
    assert campaign.holdout_percent == 0
    assert campaign.description is None
    assert campaign.incentive.has_incentive is False
    assert campaign.targeting.include_no_shows is True
    assert campaign.targeting.include_dropouts is True
    assert campaign.targeting.exclude_recent_contact is True
    assert campaign.targeting.exclude_contact_days == 30
    assert campaign.message_templates[1].variant == "A"
    assert campaign.channels == [Channel.EMAIL, Channel.SMS]


def test_null_optional_fields_mean_their_defaults(campaign_document: dict[str, Any]) -> None:
    # given what the OpenAPI document allows: null for each optional field
    campaign_document.update(
        variants=None, holdoutPercent=None, incentive=None, refreshDaily=None, description=None
    )

    # when
    campaign = parse_campaign_input(campaign_document)

    # then
    assert campaign.variants == [Variant(name="A", weight=1)]
    assert campaign.holdout_percent == 0
    assert campaign.incentive.has_incentive is False
    assert campaign.refresh_daily is False


def test_an_update_setting_an_optional_field_to_null_restores_its_default(
    campaign_document: dict[str, Any],
) -> None:
    current = parse_campaign_input(campaign_document)

    changed = apply_changes(current, {"holdoutPercent": None, "incentive": None})

    assert changed.holdout_percent == 0
    assert changed.incentive.has_incentive is False


def test_values_of_another_json_type_are_refused_not_coerced(
    campaign_document: dict[str, Any],
) -> None:
    campaign_document["targeting"]["excludeRecentContact"] = 0
    campaign_document["holdoutPercent"] = "10"

    with pytest.raises(InvalidCampaign) as refused:
        parse_campaign_input(campaign_document)

    assert {error.field for error in refused.value.errors} == {
        "targeting.excludeRecentContact",
        "holdoutPercent",
    }


def test_a_request_without_required_fields_names_each_one() -> None:
    with pytest.raises(InvalidCampaign) as refused:
        parse_campaign_input({})

    assert {error.field for error in refused.value.errors} == {
        "name",
        "targeting",
        "channels",
        "messageTemplates",
        "schedule",
    }
    assert all(error.message == "is required" for error in refused.value.errors)


def test_wrong_json_types_become_field_errors_with_camel_case_paths(
    campaign_document: dict[str, Any],
) -> None:
    campaign_document["messageTemplates"][1]["sequence"] = "second"
    campaign_document["channels"][0] = "FAX"
    campaign_document["schedule"]["startDate"] = "2026-07-01T09:00:00"

    with pytest.raises(InvalidCampaign) as refused:
        parse_campaign_input(campaign_document)

    assert {error.field for error in refused.value.errors} == {
        "messageTemplates.1.sequence",
        "channels.0",
        "schedule.startDate",
    }


def test_snake_case_input_still_reports_camel_case_paths(
    campaign_document: dict[str, Any],
) -> None:
    campaign_document["message_templates"] = campaign_document.pop("messageTemplates")
    step = campaign_document["message_templates"][0]
    del step["delayDays"]
    step["delay_days"] = "soon"

    with pytest.raises(InvalidCampaign) as refused:
        parse_campaign_input(campaign_document)

    assert refused.value.errors == [
        FieldError(
            "messageTemplates.0.delayDays",
            "Input should be a valid integer",
            Code.INVALID_TYPE,
        )
    ]


def test_a_body_that_is_not_an_object_is_one_error_on_the_campaign() -> None:
    with pytest.raises(InvalidCampaign) as refused:
        parse_campaign_input(["not", "an", "object"])

    assert refused.value.errors == [FieldError("campaign", "expected an object", Code.INVALID_TYPE)]


def test_status_and_times_in_a_request_are_ignored(campaign_document: dict[str, Any]) -> None:
    campaign_document["status"] = "ACTIVE"
    campaign_document["launchedAt"] = "2026-01-01T00:00:00Z"

    campaign = parse_campaign_input(campaign_document)

    assert "status" not in campaign.model_dump()


def test_a_partial_update_merges_the_schedule_and_replaces_lists(
    campaign_document: dict[str, Any],
) -> None:
    current = parse_campaign_input(campaign_document)

    updated = apply_changes(
        current, {"schedule": {"endDate": "2026-09-01T09:00:00Z"}, "channels": ["EMAIL"]}
    )

    assert updated.schedule.start_date == current.schedule.start_date
    assert updated.schedule.end_date == datetime(2026, 9, 1, 9, tzinfo=UTC)
    assert updated.channels == [Channel.EMAIL]
    assert updated.message_templates == current.message_templates


def test_a_partial_update_with_a_bad_value_names_the_field(
    campaign_document: dict[str, Any],
) -> None:
    current = parse_campaign_input(campaign_document)

    with pytest.raises(InvalidCampaign) as refused:
        apply_changes(current, {"targeting": {"inactiveDays": "long ago"}})

    assert [error.field for error in refused.value.errors] == ["targeting.inactiveDays"]


def test_a_stored_campaign_gives_back_its_definition(campaign_document: dict[str, Any]) -> None:
    definition = parse_campaign_input(campaign_document)
    at = datetime(2026, 6, 1, tzinfo=UTC)
    campaign = Campaign(
        **definition.model_dump(), id="c-1", created_at=at, updated_at=at, created_by="u-9"
    )

    assert campaign.status is CampaignStatus.DRAFT
    assert campaign.definition == definition
    assert campaign.model_dump(by_alias=True)["createdBy"] == "u-9"
