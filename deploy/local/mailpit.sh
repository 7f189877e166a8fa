# shellcheck shell=bash
# Mailpit, the SMTP test server dispatch-svc sends email to locally. Sourced by
# infra.sh (step_begin, step_end, fail, need, start_daemon, port_open).

MAILPIT_VERSION=${MAILPIT_VERSION:-v1.33.1}
MAILPIT_SMTP_PORT=${MAILPIT_SMTP_PORT:-1025}
MAILPIT_HTTP_PORT=${MAILPIT_HTTP_PORT:-8025}
# stored messages before the oldest are dropped: high, so a load test's count is exact
MAILPIT_MAX_MESSAGES=${MAILPIT_MAX_MESSAGES:-100000}
MAILPIT_BIN=$CACHE/bin/mailpit
MAILPIT_STAMP=$CACHE/bin/.mailpit-version
MAILPIT_DB=$DATA_DIR/mailpit.db
MAILPIT_LOG=$RUN_DIR/mailpit.log
MAILPIT_PID=$RUN_DIR/mailpit.pid
MAILPIT_INSTALL_LOG=$RUN_DIR/mailpit-install.log

# Built like FerretDB, from the module through the Go module proxy, with the
# version stamped in. The module carries the REST API and the UI's page, but
# not its compiled scripts (server/ui/dist is made by npm in Mailpit's release
# build), so the browser UI stays blank; the API at /api/v1 is complete.
install_mailpit() {
    step_begin "mailpit build ($MAILPIT_VERSION via go)"
    if [[ -x $MAILPIT_BIN && -f $MAILPIT_STAMP && $(cat "$MAILPIT_STAMP") == "$MAILPIT_VERSION" ]]; then
        step_end cached
        return
    fi
    need go "install Go 1.24+ (https://go.dev/doc/install)"
    mkdir -p "$CACHE/bin" "$CACHE/src" "$RUN_DIR"
    local mod=github.com/axllent/mailpit@$MAILPIT_VERSION
    local src=$CACHE/src/mailpit-$MAILPIT_VERSION moddir
    : >"$MAILPIT_INSTALL_LOG"
    if ! moddir=$(cd "$CACHE/src" && go mod download -json "$mod" 2>>"$MAILPIT_INSTALL_LOG" |
        sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p') || [[ -z $moddir || ! -d $moddir ]]; then
        fail "go mod download $mod failed" "$MAILPIT_INSTALL_LOG" \
            "check that the Go module proxy is reachable (go env GOPROXY) and MAILPIT_VERSION exists"
    fi
    rm -rf "$src"
    cp -R "$moddir" "$src"
    chmod -R u+w "$src"
    local ldflags="-s -w -X github.com/axllent/mailpit/config.Version=$MAILPIT_VERSION"
    if ! (cd "$src" && CGO_ENABLED=0 go build -buildvcs=false -trimpath -ldflags "$ldflags" \
        -o "$MAILPIT_BIN.tmp" .) >>"$MAILPIT_INSTALL_LOG" 2>&1; then
        fail "go build of Mailpit $MAILPIT_VERSION failed" "$MAILPIT_INSTALL_LOG" \
            "read the log; a too old Go says 'requires go >=' (retry with GOTOOLCHAIN=...)"
    fi
    mv -f "$MAILPIT_BIN.tmp" "$MAILPIT_BIN"
    rm -rf "$src"
    echo "$MAILPIT_VERSION" >"$MAILPIT_STAMP"
    step_end ok
}

start_mailpit() {
    mkdir -p "$DATA_DIR"
    local args=(
        "--smtp=127.0.0.1:$MAILPIT_SMTP_PORT"
        "--listen=127.0.0.1:$MAILPIT_HTTP_PORT"
        "--database=$MAILPIT_DB"
        "--max=$MAILPIT_MAX_MESSAGES"
        # any AUTH or none, over plain TCP: services configured for a real
        # provider's credentials still deliver here
        --smtp-auth-accept-any --smtp-auth-allow-insecure
        --smtp-max-recipients=1000
        --smtp-disable-rdns --disable-version-check
        # chaos: tests make the SMTP server refuse (4xx/5xx) through its API
        --enable-chaos
    )
    start_daemon mailpit "$MAILPIT_PID" "$MAILPIT_BIN" "$MAILPIT_LOG" \
        "$MAILPIT_SMTP_PORT $MAILPIT_HTTP_PORT" "$MAILPIT_BIN" "${args[@]}"
}

mailpit_ready() {
    curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$MAILPIT_HTTP_PORT/readyz" 2>/dev/null &&
        port_open "$MAILPIT_SMTP_PORT"
}
