# shellcheck shell=bash
# What the browser side needs: GraphiQL's build for the gateway (./dev up and ./dev test) and
# Chromium for the browser tests (./dev test). Sourced by ./dev, which defines ROOT, CACHE,
# RUN_DIR, step_begin, step_end and fail.

GRAPHIQL_UI=$ROOT/gateway/graphiql-ui
GRAPHIQL_DIST=$GRAPHIQL_UI/dist
GRAPHIQL_LOG=$RUN_DIR/graphiql-build.log
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
CHROMIUM_INSTALL_LOG=$RUN_DIR/chromium-install.log

# graphiql_key: a hash of everything the build reads; a change in any of them rebuilds
graphiql_key() {
    (cd "$GRAPHIQL_UI" && cat package.json package-lock.json .npmrc build.mjs src/*) |
        sha256sum | cut -c1-16
}

# build_graphiql: gateway/graphiql-ui/dist, which the gateway serves, built with npm when its
# sources changed. Builds are kept in $CACHE/graphiql-ui/KEY as well, so a fresh clone of the
# same sources copies one instead of running npm.
build_graphiql() {
    local key cached
    key=$(graphiql_key)
    cached=$CACHE/graphiql-ui/$key
    step_begin "graphiql build (gateway/graphiql-ui via npm)"
    if [[ -f $GRAPHIQL_DIST/index.html && $(cat "$GRAPHIQL_DIST/.build-key" 2>/dev/null) == "$key" ]]; then
        step_end cached
        return
    fi
    if [[ ! -f $cached/index.html ]]; then
        command -v npm >/dev/null || fail "no npm on PATH" "" "install Node.js 20+ with npm"
        # --ignore-scripts: no package here needs an install script (esbuild finds its
        # platform binary through its optional dependency)
        (cd "$GRAPHIQL_UI" && npm ci --ignore-scripts && node build.mjs) >"$GRAPHIQL_LOG" 2>&1 ||
            fail "npm build of GraphiQL failed" "$GRAPHIQL_LOG" \
                "check that the npm registry is reachable (npm config get registry) and node --version is 20+"
        rm -rf "$cached.tmp" && mkdir -p "$CACHE/graphiql-ui"
        cp -R "$GRAPHIQL_DIST" "$cached.tmp" && mv -f "$cached.tmp" "$cached"
    fi
    rm -rf "$GRAPHIQL_DIST.tmp"
    cp -R "$cached" "$GRAPHIQL_DIST.tmp"
    echo "$key" >"$GRAPHIQL_DIST.tmp/.build-key"
    rm -rf "$GRAPHIQL_DIST" && mv "$GRAPHIQL_DIST.tmp" "$GRAPHIQL_DIST"
    step_end ok
}

# ensure_chromium: Debian's chromium for the browser tests (Playwright's own browser builds
# cannot be downloaded everywhere; the tests drive this one)
ensure_chromium() {
    step_begin "chromium (Debian package, for the browser tests)"
    if [[ -x $CHROMIUM ]]; then
        step_end "found $CHROMIUM"
        return
    fi
    if ((EUID != 0)) || ! command -v apt-get >/dev/null; then
        fail "no $CHROMIUM" "" "as root: apt-get install -y chromium; or CHROMIUM=/path/to/chromium"
    fi
    local apt=(apt-get install -y --no-install-recommends chromium)
    # a fresh image has no package lists yet
    if ! DEBIAN_FRONTEND=noninteractive "${apt[@]}" >"$CHROMIUM_INSTALL_LOG" 2>&1; then
        { apt-get update && DEBIAN_FRONTEND=noninteractive "${apt[@]}"; } >>"$CHROMIUM_INSTALL_LOG" 2>&1 ||
            fail "apt-get install chromium failed" "$CHROMIUM_INSTALL_LOG" "check the apt sources and network"
    fi
    step_end ok
}
