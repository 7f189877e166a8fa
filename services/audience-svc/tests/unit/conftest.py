import sys
from pathlib import Path

# The unit tests share their helpers (audience_rows, audience_unit) as plain modules beside
# them, and the in-memory store (audience_fake_store) with the tests' folder.
here = Path(__file__).resolve().parent
sys.path[:0] = [str(here), str(here.parent)]
