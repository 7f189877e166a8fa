"""The image's health check: GET http://127.0.0.1:$PORT<path> answers 2xx within 3 s.

`python healthcheck.py /readyz` (default /healthz); PORT is the part's (8000 if unset).
Standard library only: the slim image has no curl.
"""

import os
import sys
import urllib.request

path = sys.argv[1] if len(sys.argv) > 1 else "/healthz"
port = os.environ.get("PORT") or "8000"
try:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=3) as answer:
        sys.exit(0 if 200 <= answer.status < 300 else 1)
except Exception as exc:  # any failure is "unhealthy"; say why in docker inspect
    print(f"{path} on :{port}: {exc}", file=sys.stderr)
    sys.exit(1)
