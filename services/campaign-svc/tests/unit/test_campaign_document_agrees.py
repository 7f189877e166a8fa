"""What the OpenAPI document states of a campaign, the service checks too: a value the
document's schema refuses is refused by campaign-svc naming the same field (else a client
trusting the document, and schemathesis' negative tests, would be surprised)."""

from datetime import datetime
from typing import Any

import jsonschema_rs
import pytest

from campaign_svc.domain.model import parse_campaign_input
from campaign_svc.domain.validation import validate_campaign
from reengage_common.resources.campaigns import CampaignInput

DOCUMENT = jsonschema_rs.validator_for(CampaignInput.model_json_schema(mode="validation"))


@pytest.mark.parametrize(
    ("field", "spoil"),
    [
        ("name", lambda d: d.update(name=" ")),
        ("name", lambda d: d.update(name="x" * 201)),
        ("targeting.inactiveDays", lambda d: d["targeting"].update(inactiveDays=0)),
        ("targeting.excludeContactDays", lambda d: d["targeting"].update(excludeContactDays=0)),
        ("channels", lambda d: d.update(channels=[])),
        ("channels.1", lambda d: d.update(channels=["EMAIL", "EMAIL"])),
        ("holdoutPercent", lambda d: d.update(holdoutPercent=50.5)),
        ("schedule.sendTimes.0", lambda d: d["schedule"].update(sendTimes=["07:59"])),
        ("schedule.sendTimes.0", lambda d: d["schedule"].update(sendTimes=["21:01"])),
        ("schedule.sendTimes.0", lambda d: d["schedule"].update(sendTimes=["9:00"])),
        ("schedule.sendTimes", lambda d: d["schedule"].update(sendTimes=[])),
        ("incentive.incentiveCostCents", lambda d: d["incentive"].update(incentiveCostCents=-1)),
    ],
)
def test_what_the_document_refuses_the_service_refuses_on_that_field(
    campaign_document: dict[str, Any], now: datetime, field: str, spoil: Any
) -> None:
    assert DOCUMENT.is_valid(campaign_document)
    spoil(campaign_document)

    problems = validate_campaign(parse_campaign_input(campaign_document), now=now)

    assert not DOCUMENT.is_valid(campaign_document)
    assert field in {problem.field for problem in problems}


@pytest.mark.parametrize("send_time", ["08:00", "12:30", "20:59", "21:00"])
def test_the_documents_send_time_pattern_admits_the_legal_window(
    campaign_document: dict[str, Any], now: datetime, send_time: str
) -> None:
    campaign_document["schedule"]["sendTimes"] = [send_time]

    assert DOCUMENT.is_valid(campaign_document)
    assert validate_campaign(parse_campaign_input(campaign_document), now=now) == []
