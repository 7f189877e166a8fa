"""The deployment checks share compose_kit and k8s_kit (reading the files as the tools would)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
