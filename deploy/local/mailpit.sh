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
# The UI's build inputs: our pinned package.json and lockfile (see mailpit_ui_key)
MAILPIT_UI_PKG=$SCRIPT_DIR/mailpit-ui
MAILPIT_UI_LOG=$RUN_DIR/mailpit-ui-install.log

# Built like FerretDB, from the module through the Go module proxy, with the
# version stamped in. The module carries the REST API and the UI's page but not
# its compiled scripts (server/ui/dist, made by npm in Mailpit's release build),
# so mailpit_ui builds them from the module's own sources first and `go build`
# embeds them (//go:embed ui in server/embed.go).
install_mailpit() {
    local key
    key=$(mailpit_ui_key)
    if [[ -x $MAILPIT_BIN && -f $MAILPIT_STAMP && $(cat "$MAILPIT_STAMP") == "$key" ]]; then
        step_begin "mailpit build ($MAILPIT_VERSION via go, with its web UI)"
        step_end cached
        return
    fi
    need go "install Go 1.24+ (https://go.dev/doc/install)"
    mkdir -p "$CACHE/bin" "$CACHE/src" "$RUN_DIR"
    local src=$CACHE/src/mailpit-$MAILPIT_VERSION
    : >"$MAILPIT_INSTALL_LOG"
    mailpit_source "$src"
    mailpit_ui "$src" "$key"
    step_begin "mailpit build ($MAILPIT_VERSION via go, with its web UI)"
    local ldflags="-s -w -X github.com/axllent/mailpit/config.Version=$MAILPIT_VERSION"
    if ! (cd "$src" && CGO_ENABLED=0 go build -buildvcs=false -trimpath -ldflags "$ldflags" \
        -o "$MAILPIT_BIN.tmp" .) >>"$MAILPIT_INSTALL_LOG" 2>&1; then
        fail "go build of Mailpit $MAILPIT_VERSION failed" "$MAILPIT_INSTALL_LOG" \
            "read the log; a too old Go says 'requires go >=' (retry with GOTOOLCHAIN=...)"
    fi
    mv -f "$MAILPIT_BIN.tmp" "$MAILPIT_BIN"
    rm -rf "$src"
    echo "$key" >"$MAILPIT_STAMP"
    step_end ok
}

# mailpit_ui_key: names one build of the UI: Mailpit's version and a hash of the
# npm inputs, so a new version or a changed lockfile rebuilds both UI and binary
mailpit_ui_key() {
    local sum
    sum=$(cat "$MAILPIT_UI_PKG/package.json" "$MAILPIT_UI_PKG/package-lock.json" | sha256sum)
    echo "$MAILPIT_VERSION-ui-${sum:0:12}"
}

# mailpit_source DIR: a writable copy of the module's source in DIR
mailpit_source() {
    local src=$1 moddir mod=github.com/axllent/mailpit@$MAILPIT_VERSION
    if ! moddir=$(cd "$CACHE/src" && go mod download -json "$mod" 2>>"$MAILPIT_INSTALL_LOG" |
        sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p') || [[ -z $moddir || ! -d $moddir ]]; then
        fail "go mod download $mod failed" "$MAILPIT_INSTALL_LOG" \
            "check that the Go module proxy is reachable (go env GOPROXY) and MAILPIT_VERSION exists"
    fi
    rm -rf "$src"
    cp -R "$moddir" "$src"
    chmod -R u+w "$src"
}

# mailpit_ui SRC KEY: puts the built UI into SRC/server/ui/dist, from the cache
# or built with npm: the module's sources and esbuild.config.mjs, but our
# package.json and lockfile (deploy/local/mailpit-ui): the module's lockfile
# pins versions the npm registry does not serve (sass-embedded, rapidoc 12)
mailpit_ui() {
    local src=$1 key=$2 cached=$CACHE/mailpit-ui/$2
    step_begin "mailpit web UI (npm build of $MAILPIT_VERSION's sources)"
    if [[ ! -f $cached/app.js ]]; then
        need npm "install Node.js 20+ with npm (Debian: apt-get install nodejs npm)"
        cp "$MAILPIT_UI_PKG/package.json" "$MAILPIT_UI_PKG/package-lock.json" \
            "$MAILPIT_UI_PKG/.npmrc" "$src/"
        # --ignore-scripts: the bundle needs no native add-on (rapidoc's parser deps
        # ship one it never loads)
        if ! (cd "$src" && npm ci --ignore-scripts && MINIFY=true node esbuild.config.mjs) \
            >"$MAILPIT_UI_LOG" 2>&1; then
            fail "npm build of Mailpit's UI failed" "$MAILPIT_UI_LOG" \
                "check that the npm registry is reachable (npm config get registry) and node --version is 20.19+"
        fi
        rm -rf "$cached.tmp" && mkdir -p "$(dirname "$cached")"
        cp -R "$src/server/ui/dist" "$cached.tmp" && mv -f "$cached.tmp" "$cached"
        step_end "ok, $(du -sh "$cached" | cut -f1)"
    else
        step_end cached
    fi
    rm -rf "$src/server/ui/dist"
    cp -R "$cached" "$src/server/ui/dist"
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
