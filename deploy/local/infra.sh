#!/usr/bin/env bash
# Local infrastructure for development and tests: Apache Kafka (KRaft, single
# node) and FerretDB (MongoDB wire protocol on SQLite). No Docker needed: Kafka
# runs from jars resolved from Maven Central with mvn, FerretDB is built with
# `go install`.
#
# Usage: deploy/local/infra.sh install|start|stop|restart|status|wait
#
# Environment (all optional):
#   REENGAGE_CACHE         cache/data/log root        (default ~/.cache/reengage)
#   KAFKA_PORT             Kafka client port          (default 9092)
#   KAFKA_CONTROLLER_PORT  KRaft controller port      (default 9093)
#   MONGO_PORT             FerretDB (MongoDB) port    (default 27017)
#   FERRETDB_DEBUG_PORT    FerretDB debug/metrics     (default 8088)
#   KAFKA_VERSION          org.apache.kafka:kafka_2.13 version (default 4.1.1)
#   LOG4J_VERSION          log4j2 binding version     (default 2.24.3)
#   FERRETDB_VERSION       FerretDB version           (default v1.24.2)
#   FERRETDB_LOG_LEVEL     DEBUG|INFO|WARN|ERROR      (default INFO)
#   KAFKA_HEAP_OPTS        JVM heap flags             (default -Xmx512m -Xms256m)
#   INFRA_WAIT_TIMEOUT     seconds `wait` allows each server (default 90)
set -Eeuo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${REENGAGE_CACHE:-$HOME/.cache/reengage}
RUN_DIR=$CACHE/run
DATA_DIR=$CACHE/data

KAFKA_PORT=${KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-9093}
MONGO_PORT=${MONGO_PORT:-27017}
FERRETDB_DEBUG_PORT=${FERRETDB_DEBUG_PORT:-8088}
KAFKA_VERSION=${KAFKA_VERSION:-4.1.1}
LOG4J_VERSION=${LOG4J_VERSION:-2.24.3}
FERRETDB_VERSION=${FERRETDB_VERSION:-v1.24.2}
FERRETDB_LOG_LEVEL=${FERRETDB_LOG_LEVEL:-INFO}
KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xmx512m -Xms256m}
WAIT_TIMEOUT=${INFRA_WAIT_TIMEOUT:-90}

KAFKA_HOME=$CACHE/kafka-$KAFKA_VERSION
KAFKA_LIBS=$KAFKA_HOME/libs
KAFKA_STAMP=$KAFKA_HOME/.installed-log4j-$LOG4J_VERSION
KAFKA_DATA=$DATA_DIR/kafka
KAFKA_CLUSTER_ID_FILE=$DATA_DIR/kafka.cluster-id
KAFKA_PROPS=$RUN_DIR/kafka-server.properties
KAFKA_LOG=$RUN_DIR/kafka.log
KAFKA_PID=$RUN_DIR/kafka.pid
KAFKA_INSTALL_LOG=$RUN_DIR/kafka-install.log

FERRETDB_BIN=$CACHE/bin/ferretdb
FERRETDB_STAMP=$CACHE/bin/.ferretdb-version
FERRETDB_DATA=$DATA_DIR/ferretdb
FERRETDB_STATE=$DATA_DIR/ferretdb-state
FERRETDB_LOG=$RUN_DIR/ferretdb.log
FERRETDB_PID=$RUN_DIR/ferretdb.pid
FERRETDB_INSTALL_LOG=$RUN_DIR/ferretdb-install.log

# ---------------------------------------------------------------- output ----
STEP=""
STEP_T0=""

elapsed() {
    local now=$EPOCHREALTIME
    awk -v a="$STEP_T0" -v b="$now" 'BEGIN { printf "%.1f", b - a }'
}

# step_begin NAME: prints "==> NAME ... " (the result completes the line)
step_begin() {
    STEP=$1
    STEP_T0=$EPOCHREALTIME
    printf '==> %s ... ' "$STEP"
}

# step_end WORD: completes the step line, e.g. "ok (4.2s)"
step_end() {
    printf '%s (%ss)\n' "${1:-ok}" "$(elapsed)"
    STEP=""
}

# fail MESSAGE [LOGFILE] [FIX]: names the step, shows the log tail, exits 1
fail() {
    local msg=$1 log=${2:-} fix=${3:-}
    if [[ -n $STEP ]]; then
        printf 'FAILED (%ss)\n' "$(elapsed)"
    fi
    {
        echo "error: ${STEP:+[$STEP] }$msg"
        if [[ -n $log ]]; then
            echo "  log: $log"
            if [[ -s $log ]]; then
                echo "  --- last lines of $log ---"
                tail -n 15 "$log" | sed 's/^/  | /'
            fi
        fi
        if [[ -n $fix ]]; then
            echo "  fix: $fix"
        fi
    } >&2
    STEP=""
    exit 1
}

on_err() {
    local rc=$? line=$1
    fail "unexpected failure (exit $rc) at ${BASH_SOURCE[0]}:$line" "" \
        "rerun with 'bash -x $0 ...' to trace"
}
trap 'on_err $LINENO' ERR

info() { printf '    %s\n' "$*"; }

# ----------------------------------------------------------- preflight ------
need() {
    local cmd=$1 fix=$2
    command -v "$cmd" >/dev/null 2>&1 || fail "no $cmd on PATH" "" "$fix"
}

check_java() {
    need java "install OpenJDK 17+ (Debian: apt-get install openjdk-17-jdk-headless)"
    local ver major
    ver=$(java -version 2>&1 | awk -F'"' '/version/ { print $2; exit }')
    major=${ver%%.*}
    if [[ $major == 1 ]]; then major=$(echo "$ver" | cut -d. -f2); fi
    if ! [[ $major =~ ^[0-9]+$ ]] || ((major < 17)); then
        fail "java $ver is too old: Kafka $KAFKA_VERSION needs Java 17+" "" \
            "install OpenJDK 17+ and put it first on PATH"
    fi
}

check_python() {
    need python3 "install Python 3 (Debian: apt-get install python3)"
}

# ------------------------------------------------------------- helpers ------
# port_open PORT: true if something accepts TCP connections on 127.0.0.1:PORT
port_open() {
    timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# port_owner PORT: "pid N (command)" of the listener, or "an unknown process"
port_owner() {
    local port=$1 out=""
    if command -v ss >/dev/null 2>&1; then
        out=$(ss -Hltnp "sport = :$port" 2>/dev/null |
            grep -o 'users:(("[^"]*",pid=[0-9]*' | head -n1 |
            sed -E 's/users:\(\("([^"]*)",pid=([0-9]*)/pid \2 (\1)/') || true
    fi
    if [[ -z $out ]] && command -v lsof >/dev/null 2>&1; then
        out=$(lsof -nP -iTCP:"$port" -sTCP:LISTEN -Fpc 2>/dev/null |
            awk '/^p/ { p = substr($0, 2) } /^c/ { printf "pid %s (%s)", p, substr($0, 2); exit }') || true
    fi
    echo "${out:-an unknown process}"
}

# read_pid PIDFILE: prints the pid if the file holds one
read_pid() {
    local f=$1 pid=""
    if [[ -f $f ]]; then
        pid=$(tr -dc '0-9' <"$f")
    fi
    echo "$pid"
}

# our_pid PIDFILE PATTERN: prints the pid if it is alive and its command line
# matches PATTERN (guards against a recycled pid)
our_pid() {
    local pid
    pid=$(read_pid "$1")
    [[ -n $pid ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$2" || return 1
    echo "$pid"
}

rotate_log() {
    local f=$1
    if [[ -s $f ]]; then mv -f "$f" "$f.1"; fi
}

# ------------------------------------------------------------- install ------
install_kafka() {
    step_begin "kafka jars (kafka_2.13:$KAFKA_VERSION via mvn)"
    if [[ -f $KAFKA_STAMP ]] && compgen -G "$KAFKA_LIBS/kafka_2.13-$KAFKA_VERSION.jar" >/dev/null; then
        step_end cached
        return
    fi
    need mvn "install Maven 3.6+ (Debian: apt-get install maven)"
    mkdir -p "$KAFKA_HOME" "$RUN_DIR"
    cp "$SCRIPT_DIR/kafka-pom.xml" "$KAFKA_HOME/pom.xml"
    rm -rf "$KAFKA_LIBS"
    if ! (cd "$KAFKA_HOME" && mvn -B -q -Dstyle.color=never -f pom.xml \
        -Dkafka.version="$KAFKA_VERSION" -Dlog4j.version="$LOG4J_VERSION" \
        dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory=libs) \
        >"$KAFKA_INSTALL_LOG" 2>&1; then
        fail "mvn could not resolve org.apache.kafka:kafka_2.13:$KAFKA_VERSION" "$KAFKA_INSTALL_LOG" \
            "check that Maven Central is reachable (~/.m2/settings.xml proxies/mirrors) and that KAFKA_VERSION=$KAFKA_VERSION exists"
    fi
    if ! compgen -G "$KAFKA_LIBS/kafka_2.13-$KAFKA_VERSION.jar" >/dev/null; then
        fail "mvn finished but $KAFKA_LIBS has no kafka_2.13 jar" "$KAFKA_INSTALL_LOG" \
            "delete $KAFKA_HOME and rerun install"
    fi
    touch "$KAFKA_STAMP"
    step_end "ok, $(find "$KAFKA_LIBS" -name '*.jar' | wc -l) jars"
}

# FerretDB is built from its module source rather than with a plain
# `go install .../cmd/ferretdb@VERSION`: the published module lacks the
# generated build/version/version.txt, and such a binary panics at startup
# ("Invalid build/version/version.txt file content"). So: download the module
# through the Go module proxy, copy it, write version.txt, go build.
install_ferretdb() {
    step_begin "ferretdb build ($FERRETDB_VERSION via go; first build takes a few minutes on 2 cores)"
    if [[ -x $FERRETDB_BIN && -f $FERRETDB_STAMP && $(cat "$FERRETDB_STAMP") == "$FERRETDB_VERSION" ]]; then
        step_end cached
        return
    fi
    need go "install Go 1.24+ (https://go.dev/doc/install)"
    mkdir -p "$CACHE/bin" "$CACHE/src" "$RUN_DIR"
    local mod=github.com/FerretDB/FerretDB@$FERRETDB_VERSION
    local src=$CACHE/src/FerretDB-$FERRETDB_VERSION moddir
    : >"$FERRETDB_INSTALL_LOG"
    if ! moddir=$(cd "$CACHE/src" && go mod download -json "$mod" 2>>"$FERRETDB_INSTALL_LOG" |
        sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p') || [[ -z $moddir || ! -d $moddir ]]; then
        fail "go mod download $mod failed" "$FERRETDB_INSTALL_LOG" \
            "check that the Go module proxy is reachable (go env GOPROXY) and FERRETDB_VERSION exists"
    fi
    rm -rf "$src"
    cp -R "$moddir" "$src"
    chmod -R u+w "$src"
    echo "$FERRETDB_VERSION" >"$src/build/version/version.txt"
    echo "source" >"$src/build/version/package.txt"
    # CGO off: a static binary that needs no C compiler (SQLite is modernc, pure Go)
    if ! (cd "$src" && CGO_ENABLED=0 go build -buildvcs=false -trimpath -o "$FERRETDB_BIN.tmp" ./cmd/ferretdb) \
        >>"$FERRETDB_INSTALL_LOG" 2>&1; then
        if grep -qE 'requires go >=|toolchain' "$FERRETDB_INSTALL_LOG"; then
            fail "building FerretDB $FERRETDB_VERSION needs a newer Go" "$FERRETDB_INSTALL_LOG" \
                "upgrade Go, or retry with GOTOOLCHAIN=<newer go version> $0 install"
        fi
        fail "go build of FerretDB $FERRETDB_VERSION failed" "$FERRETDB_INSTALL_LOG" \
            "read the log; delete $src and rerun install"
    fi
    if ! "$FERRETDB_BIN.tmp" --version >>"$FERRETDB_INSTALL_LOG" 2>&1; then
        fail "the built ferretdb binary does not run" "$FERRETDB_INSTALL_LOG" "delete $src and rerun install"
    fi
    mv -f "$FERRETDB_BIN.tmp" "$FERRETDB_BIN"
    rm -rf "$src"
    echo "$FERRETDB_VERSION" >"$FERRETDB_STAMP"
    step_end ok
}

cmd_install() {
    check_java
    install_kafka
    install_ferretdb
}

# --------------------------------------------------------------- kafka ------
# kafka_jvm_args: fills KAFKA_JVM with the java flags + classpath
kafka_jvm_args() {
    local heap
    read -r -a heap <<<"$KAFKA_HEAP_OPTS"
    KAFKA_JVM=(
        "${heap[@]}" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
        "-Dlog4j2.configurationFile=$SCRIPT_DIR/kafka-log4j2.xml"
        "-Dkafka.logs.dir=$RUN_DIR"
        -cp "$KAFKA_LIBS/*"
    )
}

kafka_java() {
    kafka_jvm_args
    java "${KAFKA_JVM[@]}" "$@"
}

write_kafka_props() {
    cat >"$KAFKA_PROPS" <<PROPS
# generated by deploy/local/infra.sh -- edits are overwritten on start
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_DATA
num.partitions=3
auto.create.topics.enable=true
default.replication.factor=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
log.retention.hours=168
log.segment.bytes=104857600
PROPS
}

kafka_format() {
    step_begin "kafka storage format"
    if [[ -f $KAFKA_DATA/meta.properties ]]; then
        step_end "already formatted"
        return
    fi
    mkdir -p "$KAFKA_DATA"
    local cid
    if [[ -s $KAFKA_CLUSTER_ID_FILE ]]; then
        cid=$(cat "$KAFKA_CLUSTER_ID_FILE")
    else
        if ! cid=$(kafka_java kafka.tools.StorageTool random-uuid 2>>"$KAFKA_LOG" |
            grep -E '^[A-Za-z0-9_-]{22}$' | tail -n1) || [[ -z $cid ]]; then
            fail "could not generate a cluster id" "$KAFKA_LOG" "delete $KAFKA_HOME and rerun install"
        fi
        echo "$cid" >"$KAFKA_CLUSTER_ID_FILE"
    fi
    if ! kafka_java kafka.tools.StorageTool format -t "$cid" -c "$KAFKA_PROPS" >>"$KAFKA_LOG" 2>&1; then
        fail "kafka storage format failed" "$KAFKA_LOG" \
            "if $KAFKA_DATA holds data of another cluster, stop and delete $KAFKA_DATA and $KAFKA_CLUSTER_ID_FILE"
    fi
    step_end "ok, cluster id $cid"
}

start_kafka() {
    local pid
    if pid=$(our_pid "$KAFKA_PID" kafka.Kafka); then
        if port_open "$KAFKA_PORT"; then
            echo "==> kafka start ... already running (pid $pid, 127.0.0.1:$KAFKA_PORT)"
        else
            echo "==> kafka start ... already starting (pid $pid, not yet listening on $KAFKA_PORT)"
        fi
        return
    fi
    rm -f "$KAFKA_PID"
    mkdir -p "$RUN_DIR" "$KAFKA_DATA"
    rotate_log "$KAFKA_LOG"
    write_kafka_props
    kafka_format
    step_begin "kafka start (127.0.0.1:$KAFKA_PORT)"
    local port
    for port in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
        if port_open "$port"; then
            fail "port $port in use by $(port_owner "$port")" "" \
                "stop that process, or pick free ports: KAFKA_PORT=... KAFKA_CONTROLLER_PORT=... $0 start"
        fi
    done
    # setsid: own session, so the broker survives this shell and Ctrl-C in it
    kafka_jvm_args
    setsid nohup java "${KAFKA_JVM[@]}" kafka.Kafka "$KAFKA_PROPS" >>"$KAFKA_LOG" 2>&1 </dev/null &
    echo $! >"$KAFKA_PID"
    sleep 1
    if ! our_pid "$KAFKA_PID" kafka.Kafka >/dev/null; then
        rm -f "$KAFKA_PID"
        fail "kafka exited right after start" "$KAFKA_LOG" "read the log; a stale $KAFKA_DATA can be deleted to start fresh"
    fi
    step_end "ok, pid $(read_pid "$KAFKA_PID")"
}

# ------------------------------------------------------------ ferretdb ------
ferretdb_args() {
    FERRETDB_ARGS=(
        --handler=sqlite
        "--sqlite-url=file:$FERRETDB_DATA/"
        "--state-dir=$FERRETDB_STATE"
        "--listen-addr=127.0.0.1:$MONGO_PORT"
        "--debug-addr=127.0.0.1:$FERRETDB_DEBUG_PORT"
        --telemetry=disable
        "--log-level=$FERRETDB_LOG_LEVEL"
    )
}

start_ferretdb() {
    local pid
    if pid=$(our_pid "$FERRETDB_PID" ferretdb); then
        if port_open "$MONGO_PORT"; then
            echo "==> ferretdb start ... already running (pid $pid, 127.0.0.1:$MONGO_PORT)"
        else
            echo "==> ferretdb start ... already starting (pid $pid, not yet listening on $MONGO_PORT)"
        fi
        return
    fi
    rm -f "$FERRETDB_PID"
    step_begin "ferretdb start (127.0.0.1:$MONGO_PORT)"
    local port
    for port in "$MONGO_PORT" "$FERRETDB_DEBUG_PORT"; do
        if port_open "$port"; then
            fail "port $port in use by $(port_owner "$port")" "" \
                "stop that process (a real mongod?), or pick free ports: MONGO_PORT=... FERRETDB_DEBUG_PORT=... $0 start"
        fi
    done
    mkdir -p "$RUN_DIR" "$FERRETDB_DATA" "$FERRETDB_STATE"
    rotate_log "$FERRETDB_LOG"
    ferretdb_args
    setsid nohup "$FERRETDB_BIN" "${FERRETDB_ARGS[@]}" >>"$FERRETDB_LOG" 2>&1 </dev/null &
    echo $! >"$FERRETDB_PID"
    sleep 0.5
    if ! our_pid "$FERRETDB_PID" ferretdb >/dev/null; then
        rm -f "$FERRETDB_PID"
        fail "ferretdb exited right after start" "$FERRETDB_LOG" "read the log"
    fi
    step_end "ok, pid $(read_pid "$FERRETDB_PID")"
}

cmd_start() {
    check_java
    install_kafka
    install_ferretdb
    start_kafka
    start_ferretdb
    echo "    (run '$0 wait' to block until both accept requests)"
}

# ---------------------------------------------------------------- stop ------
# stop_one NAME PIDFILE PATTERN
stop_one() {
    local name=$1 pidfile=$2 pattern=$3 pid i
    step_begin "$name stop"
    if ! pid=$(our_pid "$pidfile" "$pattern"); then
        rm -f "$pidfile"
        step_end "not running"
        return
    fi
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 200; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null || true
        sleep 0.5
        rm -f "$pidfile"
        step_end "killed with SIGKILL after 20s (pid $pid)"
        return
    fi
    rm -f "$pidfile"
    step_end "ok (pid $pid)"
}

cmd_stop() {
    stop_one ferretdb "$FERRETDB_PID" ferretdb
    stop_one kafka "$KAFKA_PID" kafka.Kafka
}

# -------------------------------------------------------------- status ------
# kafka_ready: a real Metadata (v4) request; ready once the broker reports
# itself and an active controller
kafka_ready() {
    python3 - "$KAFKA_PORT" <<'PY' 2>/dev/null
import socket, struct, sys
port = int(sys.argv[1])
cid = b"infra-wait"
# request header v1 (api_key=3 Metadata, version 4, correlation id, client id)
# body: topics = null (all), allow_auto_topic_creation = false
body = struct.pack(">hhih", 3, 4, 7, len(cid)) + cid + struct.pack(">ib", -1, 0)
with socket.create_connection(("127.0.0.1", port), timeout=3) as s:
    s.settimeout(3)
    s.sendall(struct.pack(">i", len(body)) + body)
    def read(n):
        buf = b""
        while len(buf) < n:
            chunk = s.recv(n - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
        return buf
    (size,) = struct.unpack(">i", read(4))
    data = read(size)
corr, _throttle, nbrokers = struct.unpack_from(">iii", data, 0)
off = 12
for _ in range(nbrokers):
    off += 4
    (hl,) = struct.unpack_from(">h", data, off); off += 2 + hl + 4
    (rl,) = struct.unpack_from(">h", data, off); off += 2 + max(rl, 0)
(cl,) = struct.unpack_from(">h", data, off); off += 2 + max(cl, 0)
(controller,) = struct.unpack_from(">i", data, off)
sys.exit(0 if corr == 7 and nbrokers >= 1 and controller >= 0 else 1)
PY
}

# status_line NAME PIDFILE PATTERN PORT LOG; returns 0 if up
status_line() {
    local name=$1 pidfile=$2 pattern=$3 port=$4 log=$5 pid state
    if pid=$(our_pid "$pidfile" "$pattern"); then
        if port_open "$port"; then state=up; else state="starting (port closed)"; fi
    else
        pid="-"
        if port_open "$port"; then
            state="down (port $port held by $(port_owner "$port"))"
        else
            state=down
        fi
    fi
    printf '%-9s %-24s pid %-8s 127.0.0.1:%-6s log %s\n' "$name" "$state" "$pid" "$port" "$log"
    [[ $state == up ]]
}

cmd_status() {
    local rc=0
    status_line kafka "$KAFKA_PID" kafka.Kafka "$KAFKA_PORT" "$KAFKA_LOG" || rc=3
    status_line ferretdb "$FERRETDB_PID" ferretdb "$MONGO_PORT" "$FERRETDB_LOG" || rc=3
    return "$rc"
}

# ---------------------------------------------------------------- wait ------
# wait_for NAME PIDFILE PATTERN LOG CHECK-FUNCTION
wait_for() {
    local name=$1 pidfile=$2 pattern=$3 log=$4 check=$5 deadline
    step_begin "$name wait (up to ${WAIT_TIMEOUT}s)"
    deadline=$((SECONDS + WAIT_TIMEOUT))
    while :; do
        if ! our_pid "$pidfile" "$pattern" >/dev/null; then
            fail "$name is not running" "$log" "start it with '$0 start' (and read the log if it died)"
        fi
        if "$check"; then
            step_end ok
            return
        fi
        if ((SECONDS >= deadline)); then
            fail "$name did not become ready within ${WAIT_TIMEOUT}s" "$log" \
                "read the log; raise INFRA_WAIT_TIMEOUT on a slow machine"
        fi
        sleep 0.5
    done
}

ferretdb_ready() { port_open "$MONGO_PORT"; }

cmd_wait() {
    check_python
    wait_for kafka "$KAFKA_PID" kafka.Kafka "$KAFKA_LOG" kafka_ready
    wait_for ferretdb "$FERRETDB_PID" ferretdb "$FERRETDB_LOG" ferretdb_ready
}

# ---------------------------------------------------------------- main ------
usage() {
    sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'
}

main() {
    local cmd=${1:-}
    case $cmd in
    install) cmd_install ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    restart) cmd_stop && cmd_start ;;
    status) cmd_status || exit "$?" ;;
    wait) cmd_wait ;;
    -h | --help | help) usage ;;
    *)
        usage >&2
        exit 2
        ;;
    esac
}

main "$@"
