#!/usr/bin/env bash
# Local infrastructure for development and tests, no Docker needed:
#   postgres  PostgreSQL (Debian's package; apt-get installs it where missing),
#             a cluster of our own, FerretDB's backend
#   kafka     Apache Kafka (KRaft, single node) from its Maven Central jars
#   ferretdb  FerretDB 1.24 (MongoDB wire protocol), built with go
#   mailpit   Mailpit (SMTP test server + REST API), built with go
#   fakes     Twilio and Lob stand-ins (deploy/local/fake_providers.py)
#
# Usage: deploy/local/infra.sh install|start|stop|restart|status|wait [PART...]
#   (no PART: all of them; e.g. `infra.sh start mailpit fakes`)
#
# Environment (all optional; ports and credentials default in defaults.sh):
#   REENGAGE_CACHE         cache/data/log root        (default ~/.cache/reengage)
#   FERRETDB_HANDLER       postgresql | sqlite        (default postgresql)
#   PG_PORT                PostgreSQL port            (default 5432)
#   KAFKA_PORT             Kafka client port          (default 9092)
#   KAFKA_CONTROLLER_PORT  KRaft controller port      (default 9093)
#   MONGO_PORT             FerretDB (MongoDB) port    (default 27017)
#   FERRETDB_DEBUG_PORT    FerretDB debug/metrics     (default 8088)
#   MAILPIT_SMTP_PORT      Mailpit SMTP               (default 1025)
#   MAILPIT_HTTP_PORT      Mailpit UI + REST API      (default 8025)
#   TWILIO_FAKE_PORT       Twilio stand-in            (default 8030)
#   LOB_FAKE_PORT          Lob stand-in               (default 8031)
#   KAFKA_VERSION          org.apache.kafka:kafka_2.13 version (default 4.1.1)
#   FERRETDB_VERSION       FerretDB version           (default v1.24.2)
#   MAILPIT_VERSION        Mailpit version            (default v1.33.1)
#   FERRETDB_LOG_LEVEL     DEBUG|INFO|WARN|ERROR      (default INFO)
#   KAFKA_HEAP_OPTS        JVM heap flags             (default -Xmx512m -Xms256m)
#   INFRA_WAIT_TIMEOUT     seconds `wait` allows each server (default 90)
#   INFRA_STARTED_FILE     `start` appends the parts it started here (./dev test
#                          stops only those)
set -Eeuo pipefail
# Logs hold operational detail about patients' messages: files this script creates (logs, pid
# files, data) are its user's alone, and so is the directory they live in.
umask 077

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${REENGAGE_CACHE:-$HOME/.cache/reengage}
RUN_DIR=$CACHE/run
DATA_DIR=$CACHE/data

# shellcheck source=deploy/local/defaults.sh
source "$SCRIPT_DIR/defaults.sh"
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-9093}
FERRETDB_HANDLER=${FERRETDB_HANDLER:-postgresql}
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

# shellcheck source=deploy/local/postgres.sh
source "$SCRIPT_DIR/postgres.sh"
# shellcheck source=deploy/local/mailpit.sh
source "$SCRIPT_DIR/mailpit.sh"
# shellcheck source=deploy/local/fakes.sh
source "$SCRIPT_DIR/fakes.sh"

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
    # the first line only: PostgreSQL's postmaster.pid holds more numbers below
    if [[ -f $f ]]; then
        pid=$(head -n 1 "$f" | tr -dc '0-9')
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
        "--handler=$FERRETDB_HANDLER"
        "--state-dir=$FERRETDB_STATE"
        "--listen-addr=127.0.0.1:$MONGO_PORT"
        "--debug-addr=127.0.0.1:$FERRETDB_DEBUG_PORT"
        --telemetry=disable
        "--log-level=$FERRETDB_LOG_LEVEL"
    )
    case $FERRETDB_HANDLER in
    postgresql) FERRETDB_ARGS+=("--postgresql-url=$PG_URL") ;;
    sqlite) FERRETDB_ARGS+=("--sqlite-url=file:$FERRETDB_DATA/") ;;
    *) fail "FERRETDB_HANDLER=$FERRETDB_HANDLER is not postgresql or sqlite" ;;
    esac
}

start_ferretdb() {
    mkdir -p "$FERRETDB_DATA" "$FERRETDB_STATE"
    ferretdb_args
    start_daemon ferretdb "$FERRETDB_PID" ferretdb "$FERRETDB_LOG" \
        "$MONGO_PORT $FERRETDB_DEBUG_PORT" "$FERRETDB_BIN" "${FERRETDB_ARGS[@]}"
}

# -------------------------------------------------------------- daemon ------
# start_daemon NAME PIDFILE PATTERN LOG "PORT..." CMD...: starts CMD detached
# unless it already runs; refuses ports another process holds
start_daemon() {
    local name=$1 pidfile=$2 pattern=$3 log=$4 ports=$5 pid port
    shift 5
    if pid=$(our_pid "$pidfile" "$pattern"); then
        echo "==> $name start ... already running (pid $pid, 127.0.0.1:${ports// /, :})"
        return
    fi
    rm -f "$pidfile"
    step_begin "$name start (127.0.0.1:${ports// /, :})"
    for port in $ports; do
        if port_open "$port"; then
            fail "port $port in use by $(port_owner "$port")" "" \
                "stop that process, or pick free ports (see '$0 help')"
        fi
    done
    mkdir -p "$RUN_DIR"
    rotate_log "$log"
    # setsid: own session, so the server survives this shell and Ctrl-C in it
    setsid nohup "$@" >>"$log" 2>&1 </dev/null &
    echo $! >"$pidfile"
    sleep 0.5
    if ! our_pid "$pidfile" "$pattern" >/dev/null; then
        rm -f "$pidfile"
        fail "$name exited right after start" "$log" "read the log"
    fi
    step_end "ok, pid $(read_pid "$pidfile")"
}

# note_started PART: lets the caller stop only what this run started
note_started() {
    if [[ -n ${INFRA_STARTED_FILE:-} ]]; then echo "$1" >>"$INFRA_STARTED_FILE"; fi
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
    printf '%-16s %-24s pid %-8s 127.0.0.1:%-6s log %s\n' "$name" "$state" "$pid" "$port" "$log"
    [[ $state == up ]]
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

# ------------------------------------------------------------- parts --------
# One function per part and action: PARTS lists them in start order (stop
# runs in reverse). postgres is a part only when FerretDB uses it.
all_parts() {
    if [[ $FERRETDB_HANDLER == postgresql ]]; then echo postgres; fi
    echo kafka ferretdb mailpit fakes
}

part_install() {
    case $1 in
    postgres) install_postgres ;;
    kafka) check_java && install_kafka ;;
    ferretdb) install_ferretdb ;;
    mailpit) install_mailpit ;;
    fakes) : ;;
    esac
}

part_start() {
    local running=0
    if part_running "$1"; then running=1; fi
    case $1 in
    postgres) start_postgres ;;
    kafka) start_kafka ;;
    ferretdb) start_ferretdb ;;
    mailpit) start_mailpit ;;
    fakes) start_fakes ;;
    esac
    if ((!running)); then note_started "$1"; fi
}

part_running() {
    case $1 in
    postgres) postgres_pid >/dev/null ;;
    kafka) our_pid "$KAFKA_PID" kafka.Kafka >/dev/null ;;
    ferretdb) our_pid "$FERRETDB_PID" ferretdb >/dev/null ;;
    mailpit) our_pid "$MAILPIT_PID" "$MAILPIT_BIN" >/dev/null ;;
    fakes) our_pid "$FAKES_PID" fake_providers.py >/dev/null ;;
    esac
}

part_stop() {
    case $1 in
    postgres) stop_postgres ;;
    kafka) stop_one kafka "$KAFKA_PID" kafka.Kafka ;;
    ferretdb) stop_one ferretdb "$FERRETDB_PID" ferretdb ;;
    mailpit) stop_one mailpit "$MAILPIT_PID" "$MAILPIT_BIN" ;;
    fakes) stop_one fake-providers "$FAKES_PID" fake_providers.py ;;
    esac
}

part_status() {
    case $1 in
    postgres) status_line postgresql "$PG_DATA/postmaster.pid" "$PG_DATA" "$PG_PORT" "$PG_LOG" ;;
    kafka) status_line kafka "$KAFKA_PID" kafka.Kafka "$KAFKA_PORT" "$KAFKA_LOG" ;;
    ferretdb)
        status_line "ferretdb(${FERRETDB_HANDLER/postgresql/pg})" "$FERRETDB_PID" ferretdb "$MONGO_PORT" "$FERRETDB_LOG"
        ;;
    mailpit)
        status_pair mailpit-smtp "$MAILPIT_SMTP_PORT" mailpit-http "$MAILPIT_HTTP_PORT" \
            "$MAILPIT_PID" "$MAILPIT_BIN" "$MAILPIT_LOG"
        ;;
    fakes)
        status_pair fake-twilio "$TWILIO_FAKE_PORT" fake-lob "$LOB_FAKE_PORT" \
            "$FAKES_PID" fake_providers.py "$FAKES_LOG"
        ;;
    esac
}

# status_pair NAME1 PORT1 NAME2 PORT2 PIDFILE PATTERN LOG: one process, two ports; both shown
status_pair() {
    local rc=0
    status_line "$1" "$5" "$6" "$2" "$7" || rc=1
    status_line "$3" "$5" "$6" "$4" "$7" || rc=1
    return "$rc"
}

part_wait() {
    case $1 in
    postgres) wait_for postgresql "$PG_DATA/postmaster.pid" "$PG_DATA" "$PG_LOG" postgres_ready ;;
    kafka) check_python && wait_for kafka "$KAFKA_PID" kafka.Kafka "$KAFKA_LOG" kafka_ready ;;
    ferretdb) wait_for ferretdb "$FERRETDB_PID" ferretdb "$FERRETDB_LOG" ferretdb_ready ;;
    mailpit) wait_for mailpit "$MAILPIT_PID" "$MAILPIT_BIN" "$MAILPIT_LOG" mailpit_ready ;;
    fakes) wait_for fake-providers "$FAKES_PID" fake_providers.py "$FAKES_LOG" fakes_ready ;;
    esac
}

# ---------------------------------------------------------------- main ------
usage() {
    sed -n '2,32p' "$0" | sed 's/^# \{0,1\}//'
}

main() {
    local cmd=${1:-} part parts=() reversed=() rc=0
    shift || true
    local known
    known=$(all_parts | paste -sd ' ')
    if (($#)); then
        for part in "$@"; do
            [[ " $known " == *" $part "* ]] || fail "unknown part '$part' (parts: $known)"
        done
        parts=("$@")
    else
        read -r -a parts <<<"$known"
    fi
    for part in "${parts[@]}"; do reversed=("$part" "${reversed[@]}"); done
    case $cmd in
    install) for part in "${parts[@]}"; do part_install "$part"; done ;;
    start)
        for part in "${parts[@]}"; do part_install "$part"; done
        for part in "${parts[@]}"; do part_start "$part"; done
        echo "    (run '$0 wait' to block until all accept requests)"
        ;;
    stop) for part in "${reversed[@]}"; do part_stop "$part"; done ;;
    restart)
        for part in "${reversed[@]}"; do part_stop "$part"; done
        for part in "${parts[@]}"; do part_start "$part"; done
        ;;
    status)
        for part in "${parts[@]}"; do part_status "$part" || rc=3; done
        exit "$rc"
        ;;
    wait) for part in "${parts[@]}"; do part_wait "$part"; done ;;
    -h | --help | help) usage ;;
    *)
        usage >&2
        exit 2
        ;;
    esac
}

main "$@"
