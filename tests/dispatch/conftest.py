import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# dispatch-svc's test kit, and this folder's own helpers (front_office)
sys.path.insert(0, str(HERE.parents[1] / "services" / "dispatch-svc" / "tests"))
sys.path.insert(0, str(HERE))
