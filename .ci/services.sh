#!/usr/bin/env bash
# Starts the servers the persistence tests need: PostgreSQL on 127.0.0.1:54329
# and Redis on 127.0.0.1:63799, both throwaway (data under a temp dir, Redis
# without persistence). Run as root on a Debian machine; it installs what is
# missing. It is idempotent: servers already running are left alone.
#
# Progress goes to stderr; stdout carries only the environment to use:
#
#	eval "$(bash .ci/services.sh)"
#	go test ./persist/...
set -euo pipefail

PG_PORT=${BURR_CI_PG_PORT:-54329}
REDIS_PORT=${BURR_CI_REDIS_PORT:-63799}
PG_DB=burr_test
BASE=${BURR_CI_DIR:-${TMPDIR:-/tmp}/burr-ci}
PG_DATA=$BASE/pgdata
PG_LOG=$BASE/postgres.log
REDIS_DIR=$BASE/redis

log() { echo "services.sh: $*" >&2; }

export DEBIAN_FRONTEND=noninteractive
apt_updated=
apt_install() {
	if [ -z "$apt_updated" ]; then
		log "apt-get update"
		apt-get update -qq >&2
		apt_updated=1
	fi
	log "apt-get install -y $*"
	apt-get install -y -qq --no-install-recommends "$@" >&2
}

# --- install -----------------------------------------------------------------

find_pg_bin() {
	local name=$1 d
	for d in /usr/local/bin /usr/lib/postgresql/*/bin; do
		if [ -x "$d/$name" ]; then
			echo "$d/$name"
			return 0
		fi
	done
	command -v "$name" 2>/dev/null
}

if [ -z "$(find_pg_bin initdb || true)" ]; then
	apt_install postgresql
fi
INITDB=$(find_pg_bin initdb)
PG_CTL=$(find_pg_bin pg_ctl)
PG_BIN=$(dirname "$(readlink -f "$INITDB")")
POSTGRES=$PG_BIN/postgres
[ -x "$POSTGRES" ] || POSTGRES=$(find_pg_bin postgres)

if ! command -v redis-server >/dev/null 2>&1; then
	apt_install redis-server
fi
if ! id postgres >/dev/null 2>&1; then
	log "creating the postgres user"
	useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
fi

as_postgres() {
	if [ "$(id -un)" = postgres ]; then
		"$@"
	elif command -v runuser >/dev/null 2>&1; then
		runuser -u postgres -- "$@"
	else
		su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
	fi
}

mkdir -p "$BASE"
chmod 755 "$BASE"

# --- PostgreSQL -----------------------------------------------------------------

if [ ! -s "$PG_DATA/PG_VERSION" ]; then
	log "initialising a PostgreSQL cluster in $PG_DATA"
	rm -rf "$PG_DATA"
	install -d -o postgres -g postgres -m 700 "$PG_DATA"
	as_postgres "$INITDB" -D "$PG_DATA" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >&2
	# Create the test database in single-user mode: no client binary needed.
	echo "CREATE DATABASE $PG_DB" | as_postgres "$POSTGRES" --single -D "$PG_DATA" postgres >/dev/null
fi
touch "$PG_LOG"
chown postgres "$PG_LOG"

if as_postgres "$PG_CTL" -D "$PG_DATA" status >/dev/null 2>&1; then
	log "PostgreSQL already running on port $PG_PORT"
else
	log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
	# fsync off: the cluster is throwaway, and tests should not wait on disks.
	as_postgres "$PG_CTL" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 \
		-o "-h 127.0.0.1 -p $PG_PORT -k $PG_DATA -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
		start >&2
fi
# Wait until it accepts connections (pg_ctl -w waits too; this covers a server
# started by an earlier run that is still coming up).
for _ in $(seq 1 60); do
	if command -v pg_isready >/dev/null 2>&1; then
		pg_isready -q -h 127.0.0.1 -p "$PG_PORT" && break
	elif (exec 3<>"/dev/tcp/127.0.0.1/$PG_PORT") 2>/dev/null; then
		break
	fi
	sleep 0.5
done

# --- Redis -------------------------------------------------------------------

redis_up() {
	if command -v redis-cli >/dev/null 2>&1; then
		[ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]
	else
		(exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT") 2>/dev/null
	fi
}

if redis_up; then
	log "Redis already running on port $REDIS_PORT"
else
	log "starting Redis on 127.0.0.1:$REDIS_PORT (no persistence)"
	mkdir -p "$REDIS_DIR"
	redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes \
		--save "" --appendonly no --dir "$REDIS_DIR" \
		--pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log" >&2
	for _ in $(seq 1 60); do
		redis_up && break
		sleep 0.2
	done
	redis_up || { log "Redis did not start; see $REDIS_DIR/redis.log"; exit 1; }
fi

echo "export BURR_TEST_POSTGRES_DSN='postgres://postgres@127.0.0.1:$PG_PORT/$PG_DB?sslmode=disable'"
echo "export BURR_TEST_REDIS_ADDR='127.0.0.1:$REDIS_PORT'"
log "ready"
