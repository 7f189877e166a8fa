"""dispatch-svc's internal read: where a campaign's messages stand, for the caller's clinic."""

import pytest
from kit import (
    CLINIC,
    EMAIL_STEP,
    FakeClock,
    dispatch_stack,
    due,
    launched,
    sent_of,
    unique,
    utc,
)

from reengage_common.auth import generate_signing_key, issue_token
from reengage_testing import eventually

pytestmark = pytest.mark.infra

KEY = generate_signing_key()
TEN_AM_CHICAGO = utc(2026, 11, 26, 16, 0)


def bearer(clinic: str, permissions: list[str] | None = None) -> dict[str, str]:
    token = issue_token(KEY, user_id="u-1", clinic_id=clinic, role="staff", permissions=permissions)
    return {"authorization": f"Bearer {token}"}


async def test_counts_and_states_of_a_campaigns_messages(infra) -> None:
    clock = FakeClock(TEN_AM_CHICAGO)
    campaign, later = unique("api"), unique("p-later")
    async with dispatch_stack(infra, "api", clock, jwt_public_key=KEY.public_pem) as stack:
        sent = await stack.bus.watch("message.sent")
        await stack.bus.publish(launched(campaign, [EMAIL_STEP], at=clock.now))
        await stack.bus.publish(due(campaign, unique("p-now"), at=clock.now))
        await eventually(lambda: _sent(sent, campaign))
        # due tomorrow: queued
        await stack.bus.publish(due(campaign, later, at=clock.now.replace(day=27)))
        url = f"/campaigns/{campaign}/messages"

        async def queued() -> bool:
            answer = await stack.client.get(url, headers=bearer(CLINIC))
            return answer.json()["counts"]["QUEUED"] == 1

        await eventually(queued)
        answer = await stack.client.get(url, headers=bearer(CLINIC))
        assert answer.status_code == 200
        body = answer.json()
        assert body["counts"] == {"QUEUED": 1, "SENDING": 0, "SENT": 1, "FAILED": 0, "SKIPPED": 0}
        assert {m["state"] for m in body["messages"]} == {"QUEUED", "SENT"}
        only_sent = await stack.client.get(f"{url}?state=SENT", headers=bearer(CLINIC))
        assert [m["state"] for m in only_sent.json()["messages"]] == ["SENT"]

        other_clinic = await stack.client.get(url, headers=bearer("clinic-other"))
        assert other_clinic.json()["counts"]["SENT"] == 0 and other_clinic.json()["messages"] == []
        assert (await stack.client.get(url)).status_code == 401
        no_view = await stack.client.get(url, headers=bearer(CLINIC, permissions=[]))
        assert no_view.status_code == 403
        bad = await stack.client.get(f"{url}?state=LOST", headers=bearer(CLINIC))
        assert bad.status_code == 422 and "state" in bad.json()["error"]["message"]


async def test_a_campaigns_messages_are_listed_a_page_at_a_time(infra) -> None:
    """Issue 17 #14: the listing was the whole campaign in one answer."""
    clock = FakeClock(TEN_AM_CHICAGO)
    campaign = unique("pages")
    async with dispatch_stack(infra, "pages", clock, jwt_public_key=KEY.public_pem) as stack:
        await stack.bus.publish(launched(campaign, [EMAIL_STEP], at=clock.now))
        for n in range(7):  # due tomorrow: all queued
            await stack.bus.publish(due(campaign, f"p-{n}", at=clock.now.replace(day=27)))
        url = f"/campaigns/{campaign}/messages"

        async def all_queued() -> bool:
            answer = await stack.client.get(url, headers=bearer(CLINIC))
            return answer.json()["counts"]["QUEUED"] == 7

        await eventually(all_queued)
        pages, after = [], None
        while True:
            params = {"limit": "3", **({"after": after} if after else {})}
            answer = (await stack.client.get(url, params=params, headers=bearer(CLINIC))).json()
            pages.append([m["messageId"] for m in answer["messages"]])
            assert answer["counts"]["QUEUED"] == 7  # every page counts the whole campaign
            after = answer["next"]
            if after is None:
                break

        assert [len(page) for page in pages] == [3, 3, 1]
        listed = [message_id for page in pages for message_id in page]
        assert listed == sorted(set(listed))
        for bad in ("0", "501", "ten"):
            refused = await stack.client.get(url, params={"limit": bad}, headers=bearer(CLINIC))
            assert refused.status_code == 422 and "limit" in refused.json()["error"]["message"]
        one_page = (await stack.client.get(url, headers=bearer(CLINIC))).json()
        assert len(one_page["messages"]) == 7 and one_page["next"] is None


async def _sent(events, campaign: str) -> bool:
    return len(sent_of(events, campaign)) >= 1
