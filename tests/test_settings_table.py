"""docs/operations.md's settings table is the settings models as they are (issue 19 #9): a new
or changed setting is a change to that table (deploy/local/settings_table.py --write)."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _generator():
    spec = importlib.util.spec_from_file_location(
        "settings_table", ROOT / "deploy" / "local" / "settings_table.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_documented_settings_table_is_the_models() -> None:
    generator = _generator()
    document = generator.DOCUMENT.read_text(encoding="utf-8")

    assert document == generator.with_table(document), (
        "docs/operations.md's settings table is stale: run "
        ".venv/bin/python deploy/local/settings_table.py --write"
    )


def test_each_service_sees_its_own_settings_and_the_shared_ones_only() -> None:
    from audience_svc.config import AudienceSettings
    from campaign_svc.config import CampaignSettings
    from dispatch_svc.config import DispatchSettings
    from tracking_svc.config import TrackingSettings

    assert "link_secret" not in CampaignSettings.model_fields
    assert "link_secret" not in AudienceSettings.model_fields
    assert "smtp_host" not in TrackingSettings.model_fields
    assert "public_port" not in DispatchSettings.model_fields
    assert "projection_shards" not in CampaignSettings.model_fields
