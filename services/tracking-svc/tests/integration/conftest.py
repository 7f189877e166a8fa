"""tracking-svc's integration fixtures live in tracking_support (importable by the tests)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
# the scenarios shared with the unit tests (tracking_fold_scenarios)
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tracking_support import tracking  # noqa: F401
