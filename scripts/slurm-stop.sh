#!/usr/bin/env bash
# Stop the single-node cluster that scripts/slurm-start.sh started and remove its folder.
#   bash scripts/slurm-stop.sh [dir]     dir: the folder (default $SPLAM_SLURM_DIR, else the folder of $SLURM_CONF)
# Jobs still running are cancelled first. Only the daemons whose pid files are in that folder are stopped.
set -uo pipefail
export PATH="$PATH:/usr/sbin:/sbin"

say() { echo "slurm-stop: $*" >&2; }

DIR="${1:-${SPLAM_SLURM_DIR:-}}"
if [ -z "$DIR" ] && [ -n "${SLURM_CONF:-}" ]; then DIR="$(dirname "$SLURM_CONF")"; fi
if [ -z "$DIR" ] || [ ! -d "$DIR" ]; then say "no cluster folder (${DIR:-none given}): nothing to stop"; exit 0; fi
case "$DIR" in /|/tmp|/tmp/) say "refusing to remove $DIR"; exit 1 ;; esac
[ -f "$DIR/.splam-slurm" ] || { say "$DIR has no .splam-slurm mark: not a folder of slurm-start.sh, left alone"; exit 1; }

if [ -f "$DIR/slurm.conf" ] && [ -f "$DIR/run/slurmctld.pid" ] && kill -0 "$(cat "$DIR/run/slurmctld.pid")" 2>/dev/null; then
  SLURM_CONF="$DIR/slurm.conf" scancel --full --user="$(id -un)" 2>/dev/null || true
fi

stop_pid() { # name pidfile
  local pid
  [ -f "$2" ] || return 0
  pid="$(cat "$2" 2>/dev/null)"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || { say "$1 ($pid) stopped"; return 0; }; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null && say "$1 ($pid) killed"
}
stop_pid slurmd "$DIR/run/slurmd.pid"
stop_pid slurmctld "$DIR/run/slurmctld.pid"
stop_pid munged "$DIR/munge/munged.pid"
rm -rf "$DIR"
say "removed $DIR"
