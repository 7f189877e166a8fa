import sys
from pathlib import Path

# The unit tests share their helpers (audience_rows) as plain modules beside them.
sys.path.insert(0, str(Path(__file__).resolve().parent))
