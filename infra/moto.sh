#!/usr/bin/env bash
# Throwaway moto server (AWS emulator: S3, Kinesis, DynamoDB, ... in one process) on 127.0.0.1.
#
#   infra/moto.sh start  DIR [PORT]   start (or report it is already up)
#   infra/moto.sh stop   DIR [PORT]   TERM, then KILL after 15s
#   infra/moto.sh status DIR [PORT]   exit 0 when GET /moto-api/ is 200
#   infra/moto.sh install             pip install moto[server] into .cache/moto-venv
#
# PORT defaults to 5000. State is in memory (POST /moto-api/reset wipes it). Log: DIR/moto.log.
# Version: FERRY_MOTO_VERSION (default 5.2.5). Any access key works; Ferry's tests use test/test, us-east-1.
set -euo pipefail
# shellcheck source=infra/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() { sed -n '2,7p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

MOTO_VERSION=${FERRY_MOTO_VERSION:-5.2.5}
VENV=$FERRY_CACHE_DIR/moto-venv
SVC=moto

moto_install() {
  [ -x "$VENV/bin/moto_server" ] && [ -f "$VENV/.ferry-moto-$MOTO_VERSION" ] && return 0
  command -v curl >/dev/null 2>&1 || apt_install curl || return 1
  local py=/usr/bin/python3
  [ -x "$py" ] || py=python3
  if ! "$py" -c 'import venv, ensurepip' >/dev/null 2>&1; then apt_install python3-venv || return 1; fi
  rm -rf "$VENV"
  # shellcheck disable=SC2016 # expanded by the inner bash
  run_step moto-pip "moto[server]==$MOTO_VERSION from PyPI into ${VENV#"$FERRY_ROOT"/}" \
    bash -c '"$1" -m venv "$2" && "$2/bin/pip" install -q "moto[server]==$3"' _ "$py" "$VENV" "$MOTO_VERSION" ||
    return 1
  touch "$VENV/.ferry-moto-$MOTO_VERSION"
}

CMD=${1:-}
[ -n "$CMD" ] || usage
if [ "$CMD" = install ]; then moto_install; exit; fi
[ $# -ge 2 ] || usage
DIR=$(realpath -m -- "$2")
PORT=${3:-5000}
LOG=$DIR/moto.log
PIDFILE=$DIR/moto.pid
MARKER="moto_server -H 127.0.0.1 -p $PORT "
URL="http://127.0.0.1:$PORT"

healthy() { [ "$(http_code "$URL/moto-api/")" = 200 ]; }

start() {
  local pid
  if pid=$(our_pid "$PIDFILE" "$MARKER") && healthy; then
    say "$SVC: already up on 127.0.0.1:$PORT (pid $pid)"
    return 0
  fi
  if [ -z "${pid:-}" ]; then
    if port_open 127.0.0.1 "$PORT"; then
      if healthy; then
        say "$SVC: already up on 127.0.0.1:$PORT (not started by this script; left alone)"
        return 0
      fi
      fail_with_log "$SVC" "$LOG" "port 127.0.0.1:$PORT is in use by another process"
      return 1
    fi
    mkdir -p "$DIR"
    rotate_log "$LOG"
    say "$SVC: starting moto $MOTO_VERSION on 127.0.0.1:$PORT"
    (cd "$DIR" && exec setsid "$VENV/bin/python" "$VENV/bin/moto_server" -H 127.0.0.1 -p "$PORT") \
      >>"$LOG" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$PIDFILE"
  fi
  local rc=0 t=${FERRY_MOTO_TIMEOUT:-60}
  wait_healthy "$t" "$pid" healthy || rc=$?
  if [ $rc != 0 ]; then
    fail_with_log "$SVC" "$LOG" "GET $URL/moto-api/ not 200 within ${t}s$([ $rc = 2 ] && echo ' (process exited)')"
    return 1
  fi
  say "$SVC: up at $URL (pid $pid, ${SECONDS}s)"
}

stop() { stop_recorded "$SVC" "$PIDFILE" "$MARKER" "$PORT" 15; }

case "$CMD" in
  start) moto_install && start ;;
  stop) stop ;;
  status) healthy ;;
  *) usage ;;
esac
