"""The console's browser tests share console_kit (the stack, sign-in, axe-core, screenshots)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from console_kit import console, receiver  # noqa: F401  (the module-scoped stack fixtures)
