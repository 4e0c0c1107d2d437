#!/usr/bin/env bash
# Start a private PostgreSQL cluster on this machine, for the PostgreSQL run-store tests (test/track/postgres*) and
# for trying `SPLAM_STORE=postgres://…` locally. Installs nothing: the Debian package `postgresql` comes from
# scripts/setup.sh. Needs no systemd and touches no system cluster (/etc/postgresql, /var/lib/postgresql).
#
#   eval "$(bash scripts/pg-start.sh)"   start; prints `export SPLAM_PG_URL=… SPLAM_PG_DIR=…` on stdout
#   bash scripts/pg-stop.sh              stop it and remove its folder (from $SPLAM_PG_DIR)
#
# Everything lives in one temporary folder ($SPLAM_PG_DIR when set, else a fresh /tmp/splam-pg.XXXXXX):
#   data/   the cluster (initdb; trust authentication: the server listens on 127.0.0.1 and the folder's socket only)
#   run/    the unix socket (unix_socket_directories) and nothing else
#   log/    the server log
# As root the server runs as the `postgres` user (initdb refuses root). Port: $SPLAM_PG_PORT (default 55432).
# Binaries: $SPLAM_PG_BIN, else the newest /usr/lib/postgresql/*/bin (Debian), else initdb on PATH.
# Messages go to stderr; the script exits non-zero (and removes what it made) if the server is not up within
# $SPLAM_PG_WAIT seconds (default 30).
set -euo pipefail

say() { echo "pg-start: $*" >&2; }
die() { say "$*"; exit 1; }

BIN="${SPLAM_PG_BIN:-}"
if [ -z "$BIN" ]; then
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do [ -x "$d/initdb" ] && { BIN="$d"; break; }; done
fi
if [ -z "$BIN" ] && command -v initdb >/dev/null; then BIN="$(dirname "$(command -v initdb)")"; fi
[ -n "$BIN" ] && [ -x "$BIN/initdb" ] && [ -x "$BIN/pg_ctl" ] ||
  die "PostgreSQL not found (no initdb): install the Debian package postgresql (bash scripts/setup.sh --install-only)"
PSQL="$BIN/psql"; [ -x "$PSQL" ] || PSQL="$(command -v psql)" || die "psql not found"

PORT="${SPLAM_PG_PORT:-55432}"
if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
  die "port $PORT is in use (another cluster?): stop it (bash scripts/pg-stop.sh), or set SPLAM_PG_PORT to a free port"
fi

DIR="${SPLAM_PG_DIR:-}"
if [ -z "$DIR" ]; then DIR="$(mktemp -d /tmp/splam-pg.XXXXXX)"; else mkdir -p "$DIR"; fi
DIR="$(cd "$DIR" && pwd)"
[ ! -e "$DIR/data/postmaster.pid" ] || die "a cluster already runs from $DIR (stop it first: SPLAM_PG_DIR=$DIR bash scripts/pg-stop.sh)"
touch "$DIR/.splam-pg"   # pg-stop.sh removes only folders with this mark
mkdir -p "$DIR/run" "$DIR/log"

# initdb and the server refuse to run as root: run them as the postgres user (created by the Debian package).
AS=()
if [ "$(id -u)" -eq 0 ]; then
  id -u postgres >/dev/null 2>&1 || die "running as root but there is no postgres user (install the Debian package postgresql)"
  chown -R postgres: "$DIR"
  AS=(runuser -u postgres --)
fi
chmod 0755 "$DIR"

fail() {
  say "$*"
  [ -f "$DIR/log/postgres.log" ] && { say "--- last lines of $DIR/log/postgres.log"; tail -n 15 "$DIR/log/postgres.log" >&2; }
  SPLAM_PG_DIR="$DIR" bash "$(dirname "$0")/pg-stop.sh" >&2 || true
  exit 1
}

t0=$(date +%s%N)
"${AS[@]}" "$BIN/initdb" -D "$DIR/data" -U postgres --auth=trust --encoding=UTF8 --no-locale --no-sync >"$DIR/log/initdb.log" 2>&1 ||
  { cat "$DIR/log/initdb.log" >&2; fail "initdb failed"; }
WAIT="${SPLAM_PG_WAIT:-30}"
"${AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/log/postgres.log" -w -t "$WAIT" \
  -o "-c listen_addresses=127.0.0.1 -p $PORT -c unix_socket_directories=$DIR/run -c max_connections=200" start >/dev/null ||
  fail "the server did not start within ${WAIT}s"
"$PSQL" -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -qAt -c 'CREATE DATABASE splam' >/dev/null || fail "CREATE DATABASE splam failed"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
say "PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') up in ${ms} ms on 127.0.0.1:$PORT (socket in $DIR/run), database splam; folder $DIR"
echo "export SPLAM_PG_URL=postgres://postgres@127.0.0.1:$PORT/splam"
echo "export SPLAM_PG_DIR=$DIR"
