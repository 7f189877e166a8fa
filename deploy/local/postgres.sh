# shellcheck shell=bash
# PostgreSQL for FerretDB's postgresql handler: a cluster of our own (initdb),
# not Debian's `main` cluster. Sourced by infra.sh, which defines step_begin,
# step_end, fail, info, port_open, port_owner and our_pid.
#
# As root the server runs as the `postgres` user, which cannot enter root's
# home, so its data lives in PostgreSQL's own area (/var/lib/postgresql);
# as any other user it runs as that user under $REENGAGE_CACHE.

PG_PORT=${PG_PORT:-5432}
PG_MAJOR=${PG_MAJOR:-15}
PG_DATABASE=${PG_DATABASE:-ferretdb}
PG_ROLE=${PG_ROLE:-ferretdb}
PG_PASSWORD=${PG_PASSWORD:-ferretdb}
PG_MAX_CONNECTIONS=${PG_MAX_CONNECTIONS:-300}
PG_POOL_MAX_CONNS=${PG_POOL_MAX_CONNS:-250}
if ((EUID == 0)); then
    PG_OS_USER=postgres
    PG_HOME=${PG_HOME:-/var/lib/postgresql/reengage-$PG_PORT}
else
    PG_OS_USER=$(id -un)
    PG_HOME=${PG_HOME:-$DATA_DIR/postgres-$PG_PORT}
fi
PG_DATA=$PG_HOME/data
PG_LOG=$PG_HOME/postgres.log
PG_INSTALL_LOG=$RUN_DIR/postgres-install.log
PG_URL="postgres://$PG_ROLE:$PG_PASSWORD@127.0.0.1:$PG_PORT/$PG_DATABASE?pool_max_conns=$PG_POOL_MAX_CONNS"

# pg_bindir: prints the directory holding initdb, pg_ctl and postgres. Debian's
# /usr/lib/postgresql/N/bin first: /usr/local/bin/pg_ctl and friends may be
# wrappers (or pg_wrapper, which wants a Debian cluster to pick a version).
pg_bindir() {
    local dir candidates=()
    if [[ -n ${PG_BIN:-} ]]; then candidates+=("$PG_BIN"); fi
    candidates+=("/usr/lib/postgresql/$PG_MAJOR/bin")
    # any other Debian major version, newest first
    while IFS= read -r dir; do candidates+=("$dir"); done < <(
        compgen -G '/usr/lib/postgresql/*/bin' | sort -t/ -k4,4 -rn
    )
    if command -v pg_config >/dev/null 2>&1; then candidates+=("$(pg_config --bindir)"); fi
    for dir in "${candidates[@]}"; do
        if [[ -x $dir/initdb && -x $dir/pg_ctl && -x $dir/postgres ]]; then
            echo "$dir"
            return 0
        fi
    done
    return 1
}

# as_pg CMD...: runs CMD as the server's OS user, from / (the postgres user
# cannot enter the caller's working directory under /root)
as_pg() {
    if ((EUID == 0)) && command -v runuser >/dev/null 2>&1; then
        (cd / && runuser -u "$PG_OS_USER" -- "$@")
    elif ((EUID == 0)); then
        (cd / && su "$PG_OS_USER" -s /bin/sh -c "$(printf '%q ' "$@")")
    else
        (cd / && "$@")
    fi
}

install_postgres() {
    step_begin "postgresql (Debian package)"
    if PG_BIN_DIR=$(pg_bindir); then
        step_end "found $PG_BIN_DIR"
        return
    fi
    if ((EUID != 0)); then
        fail "PostgreSQL is not installed" "" \
            "as root: apt-get install -y postgresql; or PG_BIN=/path/to/bin; or FERRETDB_HANDLER=sqlite"
    fi
    need apt-get "install PostgreSQL $PG_MAJOR and set PG_BIN, or use FERRETDB_HANDLER=sqlite"
    mkdir -p "$RUN_DIR"
    # Debian's package would create (and, where services run, start) a `main`
    # cluster on 5432; we run our own cluster, so ask it not to create one.
    if [[ ! -e /etc/postgresql-common/createcluster.conf ]]; then
        mkdir -p /etc/postgresql-common
        echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.conf
    fi
    local apt=(apt-get install -y --no-install-recommends
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold postgresql)
    : >"$PG_INSTALL_LOG"
    if ! DEBIAN_FRONTEND=noninteractive "${apt[@]}" >>"$PG_INSTALL_LOG" 2>&1; then
        # a fresh image has no package lists yet
        if ! { apt-get update >>"$PG_INSTALL_LOG" 2>&1 &&
            DEBIAN_FRONTEND=noninteractive "${apt[@]}" >>"$PG_INSTALL_LOG" 2>&1; }; then
            fail "apt-get install postgresql failed" "$PG_INSTALL_LOG" \
                "check the apt sources and network; or use FERRETDB_HANDLER=sqlite"
        fi
    fi
    PG_BIN_DIR=$(pg_bindir) ||
        fail "postgresql installed, but no initdb/pg_ctl/postgres found" "$PG_INSTALL_LOG" "set PG_BIN"
    step_end "ok, $PG_BIN_DIR"
}

# postgres_pid: prints the postmaster's pid if it runs on our data directory
postgres_pid() {
    our_pid "$PG_DATA/postmaster.pid" "$PG_DATA"
}

postgres_initdb() {
    if [[ -f $PG_DATA/PG_VERSION ]]; then
        return
    fi
    step_begin "postgresql initdb ($PG_DATA)"
    if ((EUID == 0)) && ! id "$PG_OS_USER" >/dev/null 2>&1; then
        fail "no '$PG_OS_USER' user to run the server" "" "apt-get install -y postgresql creates it"
    fi
    mkdir -p "$PG_HOME"
    chown "$PG_OS_USER:" "$PG_HOME"
    chmod 700 "$PG_HOME"
    # trust on the socket only: it lives in $PG_HOME (mode 700), so only the
    # server's user (and root) reach it; TCP needs the role's password
    if ! as_pg "$PG_BIN_DIR/initdb" --pgdata="$PG_DATA" --username=postgres \
        --encoding=UTF8 --locale=C --auth-local=trust --auth-host=scram-sha-256 \
        >"$PG_HOME/initdb.log" 2>&1; then
        fail "initdb failed" "$PG_HOME/initdb.log" "delete $PG_HOME and retry"
    fi
    echo "include_if_exists = 'reengage.conf'" >>"$PG_DATA/postgresql.conf"
    step_end ok
}

write_postgres_conf() {
    cat >"$PG_DATA/reengage.conf" <<CONF
# generated by deploy/local/infra.sh -- edits are overwritten on start
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_HOME'
max_connections = $PG_MAX_CONNECTIONS
shared_buffers = 128MB
# development only: a crash may lose the last few hundred ms of commits
synchronous_commit = off
CONF
    chown "$PG_OS_USER:" "$PG_DATA/reengage.conf"
}

# psql_admin SQL: one statement as the superuser, over the socket
psql_admin() {
    as_pg "$PG_BIN_DIR/psql" -X -q -t -A -v ON_ERROR_STOP=1 -h "$PG_HOME" -p "$PG_PORT" \
        -U postgres -d postgres -c "$1"
}

postgres_create_database() {
    local role_exists db_exists
    role_exists=$(psql_admin "SELECT 1 FROM pg_roles WHERE rolname = '$PG_ROLE'")
    if [[ -z $role_exists ]]; then
        psql_admin "CREATE ROLE \"$PG_ROLE\" LOGIN PASSWORD '$PG_PASSWORD'" >/dev/null
    fi
    db_exists=$(psql_admin "SELECT 1 FROM pg_database WHERE datname = '$PG_DATABASE'")
    if [[ -z $db_exists ]]; then
        psql_admin "CREATE DATABASE \"$PG_DATABASE\" OWNER \"$PG_ROLE\"" >/dev/null
    fi
}

start_postgres() {
    local pid
    PG_BIN_DIR=${PG_BIN_DIR:-$(pg_bindir)} || fail "PostgreSQL is not installed" "" "run '$0 install'"
    if pid=$(postgres_pid); then
        echo "==> postgresql start ... already running (pid $pid, 127.0.0.1:$PG_PORT)"
        return
    fi
    if port_open "$PG_PORT"; then
        fail "port $PG_PORT in use by $(port_owner "$PG_PORT")" "" \
            "stop that server (Debian's own cluster: pg_ctlcluster $PG_MAJOR main stop), or pick a port: PG_PORT=... $0 start"
    fi
    postgres_initdb
    step_begin "postgresql start (127.0.0.1:$PG_PORT)"
    write_postgres_conf
    mkdir -p "$RUN_DIR"
    ln -sfn "$PG_LOG" "$RUN_DIR/postgres.log"
    # -w: returns once the server accepts connections
    if ! as_pg "$PG_BIN_DIR/pg_ctl" start -w -t "$WAIT_TIMEOUT" -D "$PG_DATA" -l "$PG_LOG" \
        >/dev/null 2>&1; then
        fail "postgresql did not start" "$PG_LOG" "read the log; a broken $PG_DATA can be deleted to start fresh"
    fi
    postgres_create_database ||
        fail "could not create role $PG_ROLE / database $PG_DATABASE" "$PG_LOG" "read the log"
    step_end "ok, pid $(postgres_pid || echo '?')"
}

stop_postgres() {
    local pid
    step_begin "postgresql stop"
    if ! pid=$(postgres_pid); then
        step_end "not running"
        return
    fi
    PG_BIN_DIR=${PG_BIN_DIR:-$(pg_bindir)} || fail "pg_ctl not found" "" "set PG_BIN"
    # fast: rolls back open sessions (FerretDB's pool) instead of waiting for them
    if ! as_pg "$PG_BIN_DIR/pg_ctl" stop -D "$PG_DATA" -m fast -w -t 30 >/dev/null 2>&1; then
        fail "pg_ctl stop failed (pid $pid)" "$PG_LOG" "as $PG_OS_USER: pg_ctl stop -D $PG_DATA -m immediate"
    fi
    step_end "ok (pid $pid)"
}

postgres_ready() {
    PG_BIN_DIR=${PG_BIN_DIR:-$(pg_bindir)} || return 1
    "$PG_BIN_DIR/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -d "$PG_DATABASE" >/dev/null 2>&1
}
