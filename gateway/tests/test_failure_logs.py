"""A failing service's answer is logged as its status and a short, redacted excerpt, never its
whole body, which may echo a patient's words or contact details (issue 17 #10)."""

import httpx
import pytest
import structlog
from structlog.testing import capture_logs

from gateway.operations import service_calls
from gateway.operations.errors import ServiceFailed
from gateway.operations.service_calls import FAILURE_EXCERPT_CHARS, _error_of


def test_a_failing_answer_is_logged_as_status_and_a_redacted_excerpt(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A logger of its own: the module's may be cached with the suite's processors already.
    monkeypatch.setattr(service_calls, "log", structlog.get_logger("service_calls_test"))
    echoed = "Traceback: reply 'my tooth hurts' from ada@example.com +15551230001 " + "x" * 50_000
    answer = httpx.Response(500, text=echoed)

    with capture_logs() as logged:
        service_calls.log = structlog.get_logger("service_calls_test")
        error = _error_of("tracking-svc", answer)

    assert isinstance(error, ServiceFailed)
    [line] = logged
    assert (line["event"], line["status"]) == ("service.failed", 500)
    assert "body" not in line
    assert len(line["excerpt"]) <= FAILURE_EXCERPT_CHARS
    assert "@" not in line["excerpt"] and "5551230001" not in line["excerpt"]
