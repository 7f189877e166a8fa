"""Fixtures for campaign-svc's domain tests: a fixed clock and a valid campaign request."""

from datetime import UTC, datetime
from typing import Any

import pytest

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def campaign_document() -> dict[str, Any]:
    """A valid create request, camelCase as the API receives it; tests spoil one field each."""
    return {
        "name": "Spring recall",
        "description": "Bring back patients overdue for a cleaning",
        "targeting": {"inactiveDays": 180, "treatmentStages": ["RETENTION", "HYGIENE_RECALL"]},
        "channels": ["EMAIL", "SMS"],
        "messageTemplates": [
            {
                "channel": "EMAIL",
                "subject": "We miss you, {{ patient.firstName }}",
                "body": "Hi {{ patient.firstName }},\nyour last visit was "
                "{{ patient.lastVisitDate | ago }}. Book: {{ bookingLink }}\n"
                "Use {{ incentive.code }} for {{ incentive.details }}.",
                "sequence": 1,
                "delayDays": 0,
            },
            {
                "channel": "SMS",
                "body": "{{ clinic.name }}: time for a check-up? {{ bookingLink }}",
                "sequence": 2,
                "delayDays": 3,
            },
        ],
        "schedule": {
            "startDate": "2026-07-01T09:00:00Z",
            "endDate": "2026-08-01T09:00:00Z",
            "sendTimes": ["10:00", "17:30"],
            "timezone": "America/Chicago",
        },
        "incentive": {
            "hasIncentive": True,
            "incentiveDetails": "20% off your next cleaning",
            "incentiveCode": "SMILE20",
            "incentiveCostCents": 500,
        },
    }
