# shellcheck shell=bash
# The Twilio and Lob stand-ins (deploy/local/provider_fakes), one Python
# process serving both. Sourced by infra.sh (fail, start_daemon).
# Their credentials and ports come from defaults.sh, which infra.sh sources.

FAKES_LOG=$RUN_DIR/fake-providers.log
FAKES_PID=$RUN_DIR/fake-providers.pid
FAKES_ENTRY=$SCRIPT_DIR/fake_providers.py
FAKES_PYTHON=${FAKES_PYTHON:-$SCRIPT_DIR/../../.venv/bin/python}

start_fakes() {
    if [[ ! -x $FAKES_PYTHON ]]; then
        fail "no workspace venv at $FAKES_PYTHON (the fakes need starlette and uvicorn)" "" \
            "run ./dev up or ./dev test, which create it with uv sync"
    fi
    start_daemon fake-providers "$FAKES_PID" fake_providers.py "$FAKES_LOG" \
        "$TWILIO_FAKE_PORT $LOB_FAKE_PORT" "$FAKES_PYTHON" "$FAKES_ENTRY"
}

fakes_ready() {
    curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$TWILIO_FAKE_PORT/healthz" 2>/dev/null &&
        curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$LOB_FAKE_PORT/healthz" 2>/dev/null
}
