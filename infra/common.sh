# shellcheck shell=bash
# Helpers shared by infra/services.sh and the per-service scripts (infra/mariadb.sh, postgres.sh, kafka.sh,
# registry.sh, moto.sh). Source it; it defines functions and a few variables and runs nothing.
#
#   FERRY_ROOT       the repository root, derived from this file's location
#   FERRY_RUN_DIR    where services keep their state: one folder per service (default <repo>/.run)
#   FERRY_CACHE_DIR  downloaded runtimes that are not committed (default <repo>/.cache)
#   FERRY_LOG_DIR    logs of installation steps (apt, pip, mvn): $FERRY_RUN_DIR/install

FERRY_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FERRY_RUN_DIR="${FERRY_RUN_DIR:-$FERRY_ROOT/.run}"
FERRY_CACHE_DIR="${FERRY_CACHE_DIR:-$FERRY_ROOT/.cache}"
FERRY_LOG_DIR="$FERRY_RUN_DIR/install"
export FERRY_ROOT FERRY_RUN_DIR FERRY_CACHE_DIR

# Messages. Progress goes to stdout, problems to stderr.
say() { printf '%s\n' "$*"; }
warn() { printf '%s\n' "$*" >&2; }

# fail_with_log SERVICE LOGFILE MESSAGE: the one clear line, then the last 20 lines of the log.
fail_with_log() {
  local svc=$1 log=$2 msg=$3
  warn "FAILED: $svc: $msg (log: $log)"
  if [ -s "$log" ]; then
    warn "  --- last 20 lines of $log ---"
    tail -n 20 "$log" | sed 's/^/  | /' >&2
  fi
}

is_root() { [ "$(id -u)" = 0 ]; }

# PIDs. A PID file is trusted only while the process is alive AND its command line contains a marker
# (normally the service's run dir), so a recycled PID is never mistaken for ours.
read_pid() { [ -s "$1" ] && head -n1 "$1" | tr -dc '0-9'; }
pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
pid_cmdline_has() { [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -qF -- "$2"; }
# our_pid PIDFILE MARKER: print the PID when that process is alive and is ours.
our_pid() {
  local p
  p=$(read_pid "$1" 2>/dev/null) || return 1
  [ -n "$p" ] && pid_alive "$p" && pid_cmdline_has "$p" "$2" && printf '%s\n' "$p"
}

# stop_pid PID SECONDS: TERM, wait up to SECONDS, then KILL.
stop_pid() {
  local pid=$1 secs=${2:-30} i
  pid_alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < secs * 5; i++)); do pid_alive "$pid" || return 0; sleep 0.2; done
  warn "  pid $pid still running after ${secs}s: sending KILL"
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do pid_alive "$pid" || return 0; sleep 0.1; done
  return 1
}

# wait_pid_exit PID SECONDS: wait for a process that was asked to stop some other way.
wait_pid_exit() {
  local pid=$1 secs=${2:-30} i
  for ((i = 0; i < secs * 5; i++)); do pid_alive "$pid" || return 0; sleep 0.2; done
  return 1
}

# port_open HOST PORT: something accepts TCP connections there.
# shellcheck disable=SC2016 # expanded by the inner bash
port_open() { timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null; }

# http_code URL: the HTTP status (000 when nothing answers).
http_code() { curl -s -o /dev/null -m 3 -w '%{http_code}' "$1" 2>/dev/null || true; }

# wait_healthy SECONDS PID CHECK...: poll CHECK until it succeeds (0), the timeout passes (1)
# or PID, when given (non-empty), dies (2).
wait_healthy() {
  local secs=$1 pid=$2 deadline
  shift 2
  deadline=$((SECONDS + secs))
  while ((SECONDS < deadline)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    if [ -n "$pid" ] && ! pid_alive "$pid"; then
      "$@" >/dev/null 2>&1 && return 0
      return 2
    fi
    sleep 0.3
  done
  "$@" >/dev/null 2>&1
}

# rotate_log FILE: keep one previous log as FILE.1 so that each start has a fresh log.
rotate_log() { [ -f "$1" ] && mv -f "$1" "$1.1"; : >"$1"; }

# run_step LOGNAME MESSAGE CMD...: an installation step. One progress line on stdout; the command's
# output goes to $FERRY_LOG_DIR/LOGNAME.log. On failure, the log path and its tail.
run_step() {
  local name=$1 msg=$2 log
  shift 2
  mkdir -p "$FERRY_LOG_DIR"
  log="$FERRY_LOG_DIR/$name.log"
  say "  install: $msg (log: $log)"
  printf '\n=== %s: %s\n' "$(date -u +%FT%TZ)" "$*" >>"$log"
  if ! "$@" >>"$log" 2>&1 </dev/null; then
    fail_with_log "install" "$log" "$msg failed"
    return 1
  fi
}

# Debian packages. Returns non-zero (after telling what is missing) when not root.
# Keeps services of freshly installed packages from being started, and keeps postgresql-common
# from creating its default 'main' cluster on 5432.
apt_install() {
  if ! is_root; then
    warn "missing Debian packages: $* (run 'apt-get install $*' as root, or run this script as root)"
    return 1
  fi
  (
    exec 9>"/tmp/ferry-apt.lock"
    flock 9
    local policy_made=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && policy_made=1
    fi
    mkdir -p /etc/postgresql-common/createcluster.d
    [ -f /etc/postgresql-common/createcluster.d/no-main.conf ] ||
      echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.d/no-main.conf
    local rc=0 stamp=/var/lib/apt/periodic/ferry-apt-updated
    if [ ! -f "$stamp" ] || [ -z "$(find "$stamp" -mmin -720 2>/dev/null)" ]; then
      run_step apt "apt-get update" apt-get update -q && { mkdir -p "$(dirname "$stamp")"; touch "$stamp"; } || rc=1
    fi
    if [ $rc = 0 ]; then
      run_step apt "apt-get install $*" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends "$@" || rc=1
    fi
    [ $policy_made = 1 ] && rm -f /usr/sbin/policy-rc.d
    exit $rc
  )
}

# with_mvn_lock CMD...: Maven 3.8 does not lock ~/.m2, so parallel downloads take turns.
with_mvn_lock() {
  mkdir -p "$FERRY_CACHE_DIR"
  (
    exec 9>"$FERRY_CACHE_DIR/.mvn.lock"
    flock 9
    "$@"
  )
}

# java_major JAVA: the feature version of a java binary (0 when it does not run). Reads JAVA_HOME/release
# when there is one (no JVM start-up); otherwise asks the JVM.
java_major() {
  local j v="" release
  j=$(command -v "$1" 2>/dev/null) || { echo 0; return; }
  j=$(readlink -f "$j")
  release="$(dirname "$(dirname "$j")")/release"
  if [ -f "$release" ]; then
    v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$release")
  fi
  if [ -z "$v" ]; then
    v=$("$j" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2; exit}')
  fi
  printf '%s\n' "${v:-0}"
}

# json_str STRING: a JSON string literal.
json_str() {
  local s=${1//\\/\\\\}
  s=${s//\"/\\\"}
  printf '"%s"' "$s"
}

# stop_recorded SVC PIDFILE MARKER PORT TIMEOUT: stops the process this script started (PID file + command-line
# marker check), never one it did not start; says what it did.
stop_recorded() {
  local svc=$1 pidfile=$2 marker=$3 port=$4 timeout=$5 pid
  if ! pid=$(our_pid "$pidfile" "$marker"); then
    rm -f "$pidfile"
    if port_open 127.0.0.1 "$port"; then
      say "$svc: 127.0.0.1:$port is served by a process this script did not start; left alone"
    else
      say "$svc: not running"
    fi
    return 0
  fi
  say "$svc: stopping (pid $pid)"
  stop_pid "$pid" "$timeout" || { warn "$svc: pid $pid would not stop"; return 1; }
  rm -f "$pidfile"
  say "$svc: stopped"
}

# TLS for the local services (docs/services.md#tls). ensure_tls_certs makes, once per run dir, a throwaway CA and
# certificates signed by it under $FERRY_TLS_DIR (default $FERRY_RUN_DIR/tls), and remakes them when a certificate
# expires within a day:
#   ca.pem, ca.key            the CA (tests trust ca.pem: test/helpers/services.ts servicesCaFile())
#   server.pem, server.key    the server certificate of MariaDB, PostgreSQL and Kafka: SAN DNS:localhost, IP:127.0.0.1
#   client.pem, client.key    a client certificate (CN ferry-tls-client) for mutual-TLS tests
# Safe to call from several service scripts at once (flock). Needs openssl.
FERRY_TLS_DIR="${FERRY_TLS_DIR:-$FERRY_RUN_DIR/tls}"
export FERRY_TLS_DIR
ensure_tls_certs() {
  local d=$FERRY_TLS_DIR
  if ! command -v openssl >/dev/null 2>&1; then warn "tls: openssl is missing (apt-get install openssl)"; return 1; fi
  mkdir -p "$d"
  chmod 755 "$d"
  (
    exec 9>"$d/.lock"
    flock 9
    if [ -s "$d/ca.pem" ] && [ -s "$d/server.pem" ] && [ -s "$d/client.pem" ] &&
      openssl x509 -checkend 86400 -noout -in "$d/ca.pem" >/dev/null 2>&1 &&
      openssl x509 -checkend 86400 -noout -in "$d/server.pem" >/dev/null 2>&1 &&
      openssl x509 -checkend 86400 -noout -in "$d/client.pem" >/dev/null 2>&1; then
      exit 0
    fi
    local log=$d/openssl.log t
    t=$(mktemp -d "$d/.new.XXXXXX")
    {
      openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=Ferry local test CA" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -keyout "$t/ca.key" -out "$t/ca.pem" &&
      openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$t/server.key" -out "$t/server.csr" &&
      printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' >"$t/server.ext" &&
      openssl x509 -req -in "$t/server.csr" -CA "$t/ca.pem" -CAkey "$t/ca.key" -CAcreateserial -days 825 \
        -extfile "$t/server.ext" -out "$t/server.pem" &&
      openssl req -newkey rsa:2048 -nodes -subj "/CN=ferry-tls-client" -keyout "$t/client.key" -out "$t/client.csr" &&
      printf 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n' >"$t/client.ext" &&
      openssl x509 -req -in "$t/client.csr" -CA "$t/ca.pem" -CAkey "$t/ca.key" -CAcreateserial -days 825 \
        -extfile "$t/client.ext" -out "$t/client.pem"
    } >"$log" 2>&1 || { rm -rf "$t"; fail_with_log tls "$log" "generating the test CA and certificates failed"; exit 1; }
    chmod 644 "$t"/*.pem
    chmod 600 "$t"/*.key
    for f in ca.pem ca.key server.pem server.key client.pem client.key; do mv -f "$t/$f" "$d/$f"; done
    rm -rf "$t"
    say "tls: made a test CA and certificates in $d"
  )
}
