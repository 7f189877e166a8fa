"""Clinic staff using the console, many clinics at once: the campaigns page, a campaign's
dashboard (its campaign, its stats, the live stats subscription), recipients pages, and the
audience estimate while a campaign is edited. The GraphQL documents are the console's own
(console/src/pages), trimmed to what the page shows.

Run by tests/load/run_load.py (which seeds the clinics and writes LOAD_CLINICS_FILE), or alone:

    LOAD_CLINICS_FILE=clinics.json .venv/bin/locust -f tests/load/locustfile.py \\
        --headless -u 60 -r 20 -t 60s --host http://127.0.0.1:8000

LOAD_CLINICS_FILE holds [{"clinic": ..., "token": ..., "campaigns": [ids]}, ...].
"""

import json
import os
import random
import time
from typing import Any
from urllib.parse import urlsplit

from locust import HttpUser, between, events, task
from websockets.sync.client import connect

CAMPAIGNS_PAGE = """query Campaigns($first: Int) { campaigns(first: $first) { totalCount
  pageInfo { hasNextPage endCursor } edges { node { id name status channels
  targeting { inactiveDays treatmentStages } schedule { startDate sendTimes timezone }
  targetCount sentCount responseCount rebookedCount statsAvailable } } } }"""
DASHBOARD_CAMPAIGN = """query DashboardCampaign($id: ID!) { campaign(id: $id) { id name status
  channels schedule { startDate endDate sendTimes timezone } launchedAt } }"""
STATS_FIELDS = """__typename ... on CampaignStats { campaignId targeted heldOut recipients
  contacted sent delivered failed responded interested clicked replied rebooked unsubscribed
  bounced messageCostCents incentiveCostCents revenueCents costCents roi
  rates { delivery response rebook unsubscribe bounce }
  byChannel { channel sent delivered failed costCents }
  byVariant { variant recipients sent responded rebooked }
  abTests { metric variantA variantB rateA rateB pValue significant winner }
  lift { heldOut holdoutRebooked holdoutRebookRate treatedRebookRate } }"""
DASHBOARD_STATS = f"query Stats($id: ID!) {{ campaignStats(id: $id) {{ {STATS_FIELDS} }} }}"
LIVE_STATS = f"subscription LiveStats($id: ID!) {{ campaignStats(id: $id) {{ {STATS_FIELDS} }} }}"
RECIPIENTS_PAGE = """query Recipients($id: ID!, $first: Int, $after: String) {
  campaignRecipients(campaignId: $id, first: $first, after: $after) { __typename
  ... on RecipientConnection { totalCount pageInfo { hasNextPage endCursor }
  edges { node { patientId name status response variant holdout channel } } } } }"""
ESTIMATE = """query LaunchEstimate($targeting: TargetingInput!, $channels: [Channel!]) {
  audienceEstimate(targeting: $targeting, channels: $channels) { __typename
  ... on AudienceEstimate { targeted total } } }"""


def _clinics() -> list[dict[str, Any]]:
    with open(os.environ["LOAD_CLINICS_FILE"]) as held:
        return list(json.load(held))


CLINICS = _clinics()


class ClinicStaff(HttpUser):
    """One member of a clinic's staff, moving between the console's pages."""

    wait_time = between(
        float(os.environ.get("LOAD_WAIT_MIN", "0.5")), float(os.environ.get("LOAD_WAIT_MAX", "1.5"))
    )

    def on_start(self) -> None:
        self.clinic = random.choice(CLINICS)
        self.client.headers["authorization"] = f"Bearer {self.clinic['token']}"

    def _graphql(self, name: str, query: str, **variables: Any) -> dict[str, Any]:
        with self.client.post(
            "/graphql", json={"query": query, "variables": variables}, name=name,
            catch_response=True,
        ) as answer:  # fmt: skip
            document = answer.json() if answer.status_code == 200 else {}
            if answer.status_code != 200 or document.get("errors"):
                answer.failure(f"{answer.status_code}: {str(document.get('errors'))[:200]}")
            return document.get("data") or {}

    def _campaign(self) -> str:
        return random.choice(self.clinic["campaigns"])

    @task(4)
    def campaigns_page(self) -> None:
        self._graphql("campaigns page", CAMPAIGNS_PAGE, first=50)

    @task(3)
    def dashboard(self) -> None:
        campaign = self._campaign()
        self._graphql("dashboard: campaign", DASHBOARD_CAMPAIGN, id=campaign)
        self._graphql("dashboard: stats", DASHBOARD_STATS, id=campaign)

    @task(2)
    def recipients_pages(self) -> None:
        campaign, after = self._campaign(), None
        for page in range(2):  # the first page, then the next
            data = self._graphql(f"recipients page {page + 1}", RECIPIENTS_PAGE, id=campaign,
                                 first=50, after=after)  # fmt: skip
            info = (data.get("campaignRecipients") or {}).get("pageInfo") or {}
            if not info.get("hasNextPage"):
                break
            after = info.get("endCursor")

    @task(2)
    def estimate_while_editing(self) -> None:
        targeting = {"inactiveDays": random.choice((90, 180, 365)),
                     "treatmentStages": random.choice(([], ["HYGIENE_RECALL"]))}  # fmt: skip
        self._graphql("estimate", ESTIMATE, targeting=targeting, channels=["EMAIL", "SMS"])

    @task(1)
    def live_stats(self) -> None:
        """The dashboard's subscription: open it, time its first figures, close it."""
        started = time.perf_counter()
        url = urlsplit(self.host)
        error: Exception | None = None
        try:
            with connect(
                f"ws://{url.netloc}/graphql",
                subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                open_timeout=10,
            ) as socket:
                socket.send(json.dumps({"type": "connection_init", "payload": {
                    "authorization": f"Bearer {self.clinic['token']}"}}))  # fmt: skip
                socket.recv(timeout=10)  # connection_ack
                socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
                    "query": LIVE_STATS, "variables": {"id": self._campaign()}}}))  # fmt: skip
                message = json.loads(socket.recv(timeout=10))
                if message.get("type") != "next":
                    raise RuntimeError(f"first message {message.get('type')}")
                socket.send(json.dumps({"id": "1", "type": "complete"}))
        except Exception as exc:  # any failure is the measurement's outcome
            error = exc
        events.request.fire(
            request_type="WS",
            name="live stats: first figures",
            response_time=(time.perf_counter() - started) * 1000,
            response_length=0,
            exception=error,
            context={},
        )
