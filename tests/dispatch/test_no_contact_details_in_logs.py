"""A real dispatch-svc process failing to send to an invalid address leaves no address in its
log (issue 17 #10): the failure reason names what went wrong, never to whom."""

import stat
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from kit import (
    EMAIL_STEP,
    Bus,
    dispatch_settings,
    due,
    free_port,
    launched,
    patient_contact,
    provider_fakes,
    unique,
)
from processes import awake_zone, start_dispatch

from reengage_common.events import SendOutcome
from reengage_testing import eventually

pytestmark = pytest.mark.infra

INVALID = "a@b@c"


async def test_a_failing_send_to_an_invalid_address_logs_no_address(infra, tmp_path: Path) -> None:
    # given a due email to an address no server accepts, and the patient's number beside it
    now = datetime.now(UTC)
    zone = awake_zone(now)
    send_time = (now - timedelta(minutes=2)).astimezone(ZoneInfo(zone)).strftime("%H:%M")
    campaign = unique("redact")
    contact = patient_contact("p-1", timezone=zone)
    contact.email, contact.phone = INVALID, "+15551230001"
    async with provider_fakes() as providers:
        settings = dispatch_settings(infra, providers, campaign)
        async with Bus(settings) as bus:
            sent = await bus.watch("message.sent")
            await bus.publish(
                launched(
                    campaign,
                    [EMAIL_STEP],
                    at=now - timedelta(hours=1),
                    send_times=[send_time],
                    timezone=zone,
                ),
                due(campaign, "p-1", at=now - timedelta(minutes=3), contact=contact),
            )

            # when a real dispatch process tries to send it
            log = tmp_path / "dispatch.log"
            # every line it has, so nothing escapes by its level
            process = start_dispatch(settings, providers, free_port(), log, {"LOG_LEVEL": "DEBUG"})
            try:
                await eventually(lambda: _failed(sent), within=60)
            finally:
                process.terminate()
                process.wait(timeout=30)

    # then the message failed with a reason, and neither the reason nor the log has the address
    [failed] = [e.data for e in sent if e.data.outcome is SendOutcome.FAILED]
    written = log.read_text()
    print(f"reason: {failed.reason!r}; log: {len(written.splitlines())} lines")
    assert "message.failed" in written, "the failure was logged"
    for trace in (INVALID, "@b@c", "5551230001"):
        assert trace not in written, f"{trace} in the log"


def test_dev_and_infra_create_their_logs_for_their_user_alone(tmp_path: Path) -> None:
    # `./dev` starts each service with `>"$log"`; both scripts set the umask before any of it
    root = Path(__file__).resolve().parents[2]
    for script in (root / "dev", root / "deploy" / "local" / "infra.sh"):
        preamble = script.read_text().partition("\numask 077\n")[0]
        assert preamble.endswith(
            "set -Eeuo pipefail\n# Logs hold operational detail about "
            "patients' messages: files this script creates (logs, pid\n"
            "# files, data) are its user's alone, and so is the directory "
            "they live in."
        ), script
    log = tmp_path / "service.log"
    subprocess.run(["bash", "-c", f'umask 077; echo x >"{log}"'], check=True)
    assert stat.S_IMODE(log.stat().st_mode) == 0o600


async def _failed(events) -> bool:
    return any(e.data.outcome is SendOutcome.FAILED for e in events)
