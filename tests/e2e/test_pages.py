"""Every address `./dev up` prints opens in a browser and shows its real content, with no failed
request and no console error: GraphiQL (from the gateway's own files, no CDN) runs a query
and the campaignStats subscription with a token from its headers pane; the REST paths and
the OpenAPI document answer; Mailpit's inbox lists an email and opens its HTML, text and
headers; the provider fakes show what they took.

The gateway is this module's (tests/e2e/conftest.py), served on a real port because a browser
needs HTTP and a websocket; Mailpit and the fakes are the local infrastructure's.
"""

import asyncio
import os
import smtplib
import uuid
from collections.abc import AsyncIterator
from email.message import EmailMessage

import pytest
import uvicorn
from playwright.async_api import Page, expect

from gateway.app import create_app as gateway_app
from gateway.graphiql import DEFAULT_DIST
from reengage_testing import eventually, free_port

pytestmark = pytest.mark.infra

MAILPIT = os.environ.get("MAILPIT_API_BASE", "http://127.0.0.1:8025")
SMTP = (os.environ.get("SMTP_HOST", "127.0.0.1"), int(os.environ.get("SMTP_PORT", "1025")))
TWILIO_FAKE = os.environ.get("TWILIO_API_BASE", "http://127.0.0.1:8030")
LOB_FAKE = os.environ.get("LOB_API_BASE", "http://127.0.0.1:8031")
# a browser waits this long for what a page should show (the first GraphiQL load parses 1.4 MB)
SHOWN_WITHIN_MS = 15_000

ME = "{ me { clinicId } }"
STATS = """subscription Live($id: ID!) {
  campaignStats(id: $id) { __typename ... on CampaignStats { campaignId sent } }
}"""


@pytest.fixture(scope="module")
async def served_gateway(stack) -> AsyncIterator[str]:
    """The module's gateway (same services, same settings) listening on a free port."""
    if not (DEFAULT_DIST / "index.html").exists():
        pytest.fail(f"GraphiQL is not built in {DEFAULT_DIST}: ./dev test builds it")
    app = gateway_app(stack.gateway_settings, stack.transports)
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())

    async def started() -> bool:
        return server.started

    await eventually(started, within=30)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await serving


async def test_graphiql_runs_a_query_with_the_token_in_its_headers_pane(
    open_page, served_gateway, stack
) -> None:
    ide = await open_page(f"{served_gateway}/graphql")

    await fill_editor(ide.page, ".graphiql-query-editor", ME)
    await fill_headers(ide.page, stack.headers("clinic_admin"))
    await ide.page.locator(".graphiql-execute-button").click()

    await expect(ide.page.locator(".result-window")).to_contain_text(
        '"clinicId": "clinic-a"', timeout=SHOWN_WITHIN_MS
    )
    assert ide.problems == []


async def test_graphiql_runs_the_campaign_stats_subscription_over_its_websocket(
    open_page, served_gateway, stack
) -> None:
    campaign = await stack.campaign("ACTIVE")
    ide = await open_page(f"{served_gateway}/graphql")
    sockets: list[str] = []
    ide.page.on("websocket", lambda socket: sockets.append(socket.url))

    await fill_editor(ide.page, ".graphiql-query-editor", STATS)
    await ide.page.get_by_role("button", name="Variables").click()
    await fill_editor(ide.page, ".graphiql-editor-tool", f'{{"id": "{campaign["id"]}"}}')
    await fill_headers(ide.page, stack.headers("clinic_admin"))
    await ide.page.locator(".graphiql-execute-button").click()

    await expect(ide.page.locator(".result-window")).to_contain_text(
        f'"campaignId": "{campaign["id"]}"', timeout=SHOWN_WITHIN_MS
    )
    await ide.page.locator(".graphiql-execute-button").click()  # stops the subscription
    assert sockets == [f"{served_gateway.replace('http', 'ws')}/graphql"]
    assert ide.problems == []


async def test_the_rest_paths_and_the_openapi_document_open_with_a_token(
    open_page, served_gateway, stack
) -> None:
    campaign = await stack.campaign("DRAFT", name="Shown in the browser")
    token = stack.headers("clinic_admin")

    campaigns = await open_page(f"{served_gateway}/api/booking/campaigns", headers=token)
    openapi = await open_page(f"{served_gateway}/api/openapi.json")

    await expect(campaigns.page.locator("body")).to_contain_text(campaign["id"])
    await expect(openapi.page.locator("body")).to_contain_text('"openapi"')
    assert campaigns.problems == [] and openapi.problems == []


async def test_mailpit_lists_an_email_and_opens_its_html_text_and_headers(open_page) -> None:
    subject = f"We miss you, Ada ({uuid.uuid4().hex[:8]})"
    await asyncio.to_thread(send_email, subject)

    inbox = await open_page(MAILPIT)
    await inbox.page.get_by_text(subject).click()
    html = inbox.page.frame_locator("#preview-html")
    await expect(html.locator("body")).to_contain_text("Book your check-up", timeout=10_000)
    await inbox.page.locator("#nav-plain-text-tab").click()
    await expect(inbox.page.locator("#nav-plain-text")).to_contain_text("Book by phone")
    await inbox.page.locator("#nav-headers-tab").click()
    await expect(inbox.page.locator("#nav-headers")).to_contain_text("X-Campaign-Id")

    api = await open_page(f"{MAILPIT}/api/v1/messages")
    await expect(api.page.locator("body")).to_contain_text('"messages"')
    assert inbox.problems == [] and api.problems == []


@pytest.mark.parametrize("address", [f"{TWILIO_FAKE}/_fake/messages", f"{LOB_FAKE}/_fake/letters"])
async def test_the_provider_fakes_show_what_they_took(open_page, address: str) -> None:
    fake = await open_page(address)

    await expect(fake.page.locator("body")).to_contain_text('"requests"')
    assert fake.problems == []


async def fill_editor(page: Page, container: str, text: str) -> None:
    """Replace an editor's text as a paste would (no typed brackets closing themselves)."""
    editor = page.locator(f"{container} .graphiql-editor:not(.hidden) .CodeMirror").first
    await editor.click()
    await page.keyboard.press("Control+A")
    await page.keyboard.insert_text(text)


async def fill_headers(page: Page, headers: dict[str, str]) -> None:
    await page.get_by_role("button", name="Headers").click()
    (name, value), *_ = headers.items()
    await fill_editor(page, ".graphiql-editor-tool", f'{{"{name}": "{value}"}}')


def send_email(subject: str) -> None:
    """One email as dispatch-svc sends them: HTML and text parts, our headers."""
    message = EmailMessage()
    message["From"] = "Bright Smiles Dental <hello@brightsmiles.example>"
    message["To"] = "ada@patients.example"
    message["Subject"] = subject
    message["X-Campaign-Id"] = "browser-check"
    message.set_content("Hi Ada, it has been a while. Book by phone: (312) 555-0100.")
    message.add_alternative("<p>Hi Ada, <b>Book your check-up</b> today.</p>", subtype="html")
    with smtplib.SMTP(*SMTP, timeout=10) as smtp:
        smtp.send_message(message)
