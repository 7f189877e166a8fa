import sys
from pathlib import Path

# tracking-svc's fold scenarios (their facts), which these tests drive through the service's HTTP
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "services" / "tracking-svc" / "tests"))
