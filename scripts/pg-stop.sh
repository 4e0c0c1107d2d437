#!/usr/bin/env bash
# Stop the private cluster that scripts/pg-start.sh started and remove its folder.
#   bash scripts/pg-stop.sh [dir]     dir: the folder (default $SPLAM_PG_DIR)
# Only a folder carrying pg-start.sh's mark (.splam-pg) is touched; only the server whose data is in it is stopped.
set -uo pipefail

say() { echo "pg-stop: $*" >&2; }

DIR="${1:-${SPLAM_PG_DIR:-}}"
if [ -z "$DIR" ] || [ ! -d "$DIR" ]; then say "no cluster folder (${DIR:-none given}): nothing to stop"; exit 0; fi
DIR="$(cd "$DIR" && pwd)"
case "$DIR" in /|/tmp|/var|/var/lib/postgresql*) say "refusing to remove $DIR"; exit 1 ;; esac
[ -f "$DIR/.splam-pg" ] || { say "$DIR has no .splam-pg mark: not a folder of pg-start.sh, left alone"; exit 1; }

BIN="${SPLAM_PG_BIN:-}"
if [ -z "$BIN" ]; then
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do [ -x "$d/pg_ctl" ] && { BIN="$d"; break; }; done
fi
if [ -z "$BIN" ] && command -v pg_ctl >/dev/null; then BIN="$(dirname "$(command -v pg_ctl)")"; fi

if [ -f "$DIR/data/postmaster.pid" ]; then
  AS=()
  [ "$(id -u)" -eq 0 ] && AS=(runuser -u postgres --)
  if [ -n "$BIN" ] && "${AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -m fast -w -t 30 stop >/dev/null 2>&1; then
    say "server stopped"
  else
    # pg_ctl missing or failed: stop the postmaster of this folder by its pid (first line of postmaster.pid).
    pid="$(head -n 1 "$DIR/data/postmaster.pid" 2>/dev/null)"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill -INT "$pid"
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
      say "server ($pid) stopped"
    fi
  fi
fi
rm -rf "$DIR"
say "removed $DIR"
