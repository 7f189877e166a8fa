"""Credentials and a webhook receiver the provider-fake tests share."""

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "test-token"
LOB_KEY = "test_lob_key"
WEBHOOK_BASE = "http://tracking.test"


class WebhookReceiver:
    """Stands in for tracking-svc: records each webhook with its form and headers."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []

    async def record(self, request: Request) -> PlainTextResponse:
        form = {key: str(value) for key, value in (await request.form()).items()}
        self.received.append({"url": str(request.url), "form": form, "headers": request.headers})
        return PlainTextResponse("<Response/>", media_type="text/xml")

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/{path:path}", self.record, methods=["POST"])])
