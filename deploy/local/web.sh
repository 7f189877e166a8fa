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

CONSOLE=$ROOT/console
CONSOLE_DIST=$CONSOLE/dist
CONSOLE_LOG=$RUN_DIR/console-build.log

# console_key: a hash of everything the console's build reads (its sources, its lock file and
# the gateway's SDL its types are generated from); src/gql is generated, so not part of it
console_key() {
    (cd "$CONSOLE" && cat package.json package-lock.json .npmrc index.html vite.config.ts codegen.ts tsconfig.json \
        ../gateway/schema.graphql && find src -path src/gql -prune -o -type f -print | LC_ALL=C sort | xargs cat) |
        sha256sum | cut -c1-16
}

# console_modules: console/node_modules as its lock file says (npm ci when the lock changed);
# the build, the unit tests and the browser tests' axe-core need them
console_modules() {
    local lock
    lock=$(sha256sum "$CONSOLE/package-lock.json" | cut -c1-16)
    [[ $(cat "$CONSOLE/node_modules/.lock-key" 2>/dev/null) == "$lock" ]] && return
    command -v npm >/dev/null || fail "no npm on PATH" "" "install Node.js 20+ with npm"
    # --ignore-scripts: esbuild and rollup find their platform binaries through optional dependencies
    (cd "$CONSOLE" && npm ci --ignore-scripts) >>"$CONSOLE_LOG" 2>&1 ||
        fail "npm ci of the console failed" "$CONSOLE_LOG" \
            "check that the npm registry is reachable (npm config get registry) and node --version is 20+"
    echo "$lock" >"$CONSOLE/node_modules/.lock-key"
}

# console_first_load_kb: gzip size of the JavaScript the console's index loads before anything
# else (its entry script and the chunks it preloads), in KB
console_first_load_kb() {
    local dist=$1 total=0 file
    for file in $(grep -oE '/console/assets/[^"]+\.js' "$dist/index.html" | sort -u); do
        total=$((total + $(gzip -9c "$dist/${file#/console/}" | wc -c)))
    done
    awk -v b="$total" 'BEGIN { printf "%.0f", b / 1024 }'
}

# build_console: console/dist, which the gateway serves at /console/, built with npm (codegen
# from gateway/schema.graphql, type check, vite) when its sources changed; kept in
# $CACHE/console/KEY like GraphiQL's build. `with_modules` also installs node_modules when a
# cached build is used (./dev test runs the unit tests and axe-core from them).
build_console() {
    local key cached with_modules=${1:-}
    key=$(console_key)
    cached=$CACHE/console/$key
    step_begin "console build (console/ via npm)"
    : >"$CONSOLE_LOG"
    if [[ -f $CONSOLE_DIST/index.html && $(cat "$CONSOLE_DIST/.build-key" 2>/dev/null) == "$key" ]]; then
        [[ -n $with_modules ]] && console_modules
        step_end "cached, first load $(console_first_load_kb "$CONSOLE_DIST") KB gzip JS"
        return
    fi
    if [[ ! -f $cached/index.html ]]; then
        console_modules
        (cd "$CONSOLE" && npm run build) >>"$CONSOLE_LOG" 2>&1 ||
            fail "npm build of the console failed" "$CONSOLE_LOG" "run: cd console && npm run build"
        rm -rf "$cached.tmp" && mkdir -p "$CACHE/console"
        cp -R "$CONSOLE_DIST" "$cached.tmp" && mv -f "$cached.tmp" "$cached"
    elif [[ -n $with_modules ]]; then
        console_modules
    fi
    rm -rf "$CONSOLE_DIST.tmp"
    cp -R "$cached" "$CONSOLE_DIST.tmp"
    echo "$key" >"$CONSOLE_DIST.tmp/.build-key"
    rm -rf "$CONSOLE_DIST" && mv "$CONSOLE_DIST.tmp" "$CONSOLE_DIST"
    step_end "ok, first load $(console_first_load_kb "$CONSOLE_DIST") KB gzip JS"
}

# console_unit_tests: vitest over the console's own logic (code mapping, forms, formatting).
# Modules under test import the generated src/gql, which a build taken from the cache did not
# make in this checkout (a fresh clone failed on '../gql'): codegen first, ~2 s.
console_unit_tests() {
    step_begin "console unit tests (vitest)"
    (cd "$CONSOLE" && npm run --silent codegen && npx --no-install vitest run) >"$RUN_DIR/console-tests.log" 2>&1 ||
        fail "console unit tests failed" "$RUN_DIR/console-tests.log" "run: cd console && npx vitest run"
    step_end "$(grep -oE 'Tests +[0-9]+ passed[^|]*' "$RUN_DIR/console-tests.log" | tail -n 1 | tr -s ' ')"
}
