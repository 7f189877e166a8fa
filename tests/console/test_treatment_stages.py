"""The editor offers exactly the treatment stages campaign-svc accepts, in its order."""

import re
from pathlib import Path

from campaign_svc.domain.model import TreatmentStage

STAGES = Path(__file__).resolve().parents[2] / "console" / "src" / "lib" / "stages.ts"


def test_the_console_offers_the_stages_campaign_svc_accepts() -> None:
    offered = re.findall(r'value: "([A-Z_]+)"', STAGES.read_text(encoding="utf-8"))
    assert offered == [stage.value for stage in TreatmentStage]
