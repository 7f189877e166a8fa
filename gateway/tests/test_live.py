"""The live hubs read what their Kafka tail hands them: a batch of record values as they are on
the topic (envelopes, or anything else a producer wrote)."""

import json

from gateway.live.inbox import LiveInbox
from gateway.live.stats import LiveStats
from reengage_common.settings import Settings

SETTINGS = Settings(service="gateway", env="test")


def _envelope(clinic: str | None, **data: object) -> bytes:
    return json.dumps({"type": "message.sent", "clinicId": clinic, "data": data}).encode()


async def _no_fetch(caller: object, campaign_id: str) -> dict[str, object]:
    raise AssertionError("nothing is fetched here")


def test_a_batch_tells_each_campaign_it_names_once() -> None:
    # given
    hub = LiveStats(SETTINGS, _no_fetch, kafka=False)
    told: list[str] = []
    hub.campaign_changed = told.append  # type: ignore[method-assign]

    # when
    hub.read(
        [
            _envelope("clinic-a", campaignId="c-1"),
            _envelope("clinic-a", campaignId="c-1"),
            _envelope("clinic-a", campaignId="c-2"),
            _envelope("clinic-a", patientId="p-1"),
            b"not json",
            None,
        ]
    )

    # then
    assert sorted(told) == ["c-1", "c-2"]
    assert hub.events_seen == 6


async def test_a_reply_reaches_the_subscribers_of_its_clinic_only() -> None:
    # given
    hub = LiveInbox(SETTINGS, kafka=False)
    async with hub.subscribe("clinic-a") as mine, hub.subscribe("clinic-b") as theirs:
        # when
        hub.read(
            [
                _envelope("clinic-a", patientId="p-1", body="YES"),
                _envelope(None, patientId="p-2", body="no clinic"),
                b"[]",
                None,
            ]
        )

        # then
        assert mine.get_nowait() == {"patientId": "p-1", "body": "YES"}
        assert mine.empty() and theirs.empty()
