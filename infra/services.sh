#!/usr/bin/env bash
# Ferry's local services: throwaway instances on 127.0.0.1, no Docker needed.
#
#   infra/services.sh up              install what is missing, start what is not running, wait until healthy
#   infra/services.sh down [--wipe]   stop what this script started (by recorded PID); --wipe also deletes their data
#   infra/services.sh status [--json] one line per service (or one JSON object); exit 0 when all are up, else 1
#   infra/services.sh up-pg-versions [MAJOR ...]   PostgreSQL 13-18 from Maven Central on 54NN (infra/pg-versions.sh);
#                                     down-pg-versions, status-pg-versions; `up` starts them too when FERRY_PG_VERSIONS is set
#
#   service   address          what
#   mariadb   127.0.0.1:3306   MariaDB 10.11, ROW binlog + GTID          infra/mariadb.sh
#   postgres  127.0.0.1:5432   PostgreSQL 15, wal_level=logical          infra/postgres.sh
#   kafka     127.0.0.1:9092   Apache Kafka 4.1.2, KRaft (ctrl 9093,     infra/kafka.sh
#                              SSL listener 9094)
#   registry  127.0.0.1:8081   Apicurio Registry 3.3.3, /apis/ccompat/v7 infra/registry.sh
#   moto      127.0.0.1:5000   moto 5.2.5 (S3, Kinesis, DynamoDB, ...)   infra/moto.sh
#
# Ports: FERRY_MARIADB_PORT, FERRY_POSTGRES_PORT, FERRY_KAFKA_PORT, FERRY_KAFKA_CONTROLLER_PORT,
# FERRY_KAFKA_TLS_PORT, FERRY_REGISTRY_PORT, FERRY_REGISTRY_MANAGEMENT_PORT, FERRY_MOTO_PORT.
# TLS: `up` makes a throwaway CA and certificates in FERRY_RUN_DIR/tls (ca.pem; server.pem/.key with SAN localhost
# and 127.0.0.1; client.pem/.key for mutual TLS); MariaDB, PostgreSQL and Kafka's SSL listener use them, and
# their plain-text listeners stay (common.sh ensure_tls_certs). State and logs: FERRY_RUN_DIR
# (default <repo>/.run), one folder per service; installation logs in FERRY_RUN_DIR/install.
# Exit status: up/down 0 on success, 1 when a service failed; status 0 when every service is up, 1 otherwise;
# 2 for a usage error. See docs/services.md.
set -euo pipefail
INFRA="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=infra/common.sh
. "$INFRA/common.sh"
FERRY_RUN_DIR=$(realpath -m -- "$FERRY_RUN_DIR")
FERRY_LOG_DIR="$FERRY_RUN_DIR/install"
export FERRY_RUN_DIR

SERVICES=(mariadb postgres kafka registry moto)
port_of() {
  case $1 in
    mariadb) echo "${FERRY_MARIADB_PORT:-3306}" ;;
    postgres) echo "${FERRY_POSTGRES_PORT:-5432}" ;;
    kafka) echo "${FERRY_KAFKA_PORT:-9092}" ;;
    registry) echo "${FERRY_REGISTRY_PORT:-8081}" ;;
    moto) echo "${FERRY_MOTO_PORT:-5000}" ;;
  esac
}
extra_ports_of() {
  case $1 in
    kafka) echo "${FERRY_KAFKA_CONTROLLER_PORT:-9093}" ;;
    registry) echo "${FERRY_REGISTRY_MANAGEMENT_PORT:-9001}" ;;
  esac
}
dir_of() { printf '%s\n' "$FERRY_RUN_DIR/$1"; }
log_of() { printf '%s/%s.log\n' "$(dir_of "$1")" "$1"; }
url_of() {
  case $1 in
    registry) echo "http://127.0.0.1:$(port_of registry)/apis/ccompat/v7" ;;
    moto) echo "http://127.0.0.1:$(port_of moto)" ;;
  esac
}
# svc SERVICE CMD [args]: run infra/SERVICE.sh CMD DIR PORT [EXTRA_PORT]
svc() {
  local s=$1 c=$2
  shift 2
  # shellcheck disable=SC2046
  bash "$INFRA/$s.sh" "$c" "$(dir_of "$s")" "$(port_of "$s")" $(extra_ports_of "$s") "$@"
}

usage() { sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

# Debian packages that a fresh Debian 12 lacks, all in one apt-get run (apt cannot run in parallel).
preflight() {
  local pkgs=()
  export PATH="$PATH:/usr/sbin"
  command -v mariadbd >/dev/null 2>&1 && command -v mariadb-install-db >/dev/null 2>&1 || pkgs+=(mariadb-server)
  command -v mariadb >/dev/null 2>&1 && command -v mariadb-admin >/dev/null 2>&1 || pkgs+=(mariadb-client)
  [ -x "${FERRY_PG_BIN:-/usr/lib/postgresql/15/bin}/initdb" ] || pkgs+=(postgresql-15)
  command -v psql >/dev/null 2>&1 && command -v pg_isready >/dev/null 2>&1 || pkgs+=(postgresql-client-15)
  command -v "${FERRY_JAVA:-java}" >/dev/null 2>&1 || pkgs+=(openjdk-17-jre-headless)
  command -v mvn >/dev/null 2>&1 || pkgs+=(maven)
  command -v curl >/dev/null 2>&1 || pkgs+=(curl)
  command -v flock >/dev/null 2>&1 && command -v setsid >/dev/null 2>&1 || pkgs+=(util-linux)
  local py=/usr/bin/python3
  [ -x "$py" ] || py=python3
  "$py" -c 'import venv, ensurepip' >/dev/null 2>&1 || pkgs+=(python3-venv)
  [ ${#pkgs[@]} = 0 ] && return 0
  apt_install "${pkgs[@]}"
}

cmd_up() {
  local t0=$SECONDS s failed=() pids=() rc
  mkdir -p "$FERRY_RUN_DIR"
  # the fast path: everything healthy already
  local all=1
  for s in "${SERVICES[@]}"; do svc "$s" status >/dev/null 2>&1 || { all=0; break; }; done
  if [ $all = 1 ]; then
    for s in "${SERVICES[@]}"; do say "$s: already up on 127.0.0.1:$(port_of "$s")"; done
    [ -s "$FERRY_TLS_DIR/ca.pem" ] ||
      warn "tls: no test CA in $FERRY_TLS_DIR: these services were started without their TLS listeners; run 'down' then 'up' to add them"
    say "services: all up (nothing to do)"
    return 0
  fi
  preflight || { warn "FAILED: installing Debian packages (log: $FERRY_LOG_DIR/apt.log)"; return 1; }
  ensure_tls_certs || return 1
  for s in "${SERVICES[@]}"; do
    mkdir -p "$(dir_of "$s")"
    svc "$s" start 2>"$(dir_of "$s")/up.err" &
    pids+=($!)
  done
  local i=0
  for s in "${SERVICES[@]}"; do
    rc=0
    wait "${pids[$i]}" || rc=$?
    i=$((i + 1))
    [ $rc = 0 ] || failed+=("$s")
  done
  for s in "${failed[@]}"; do
    [ -s "$(dir_of "$s")/up.err" ] && cat "$(dir_of "$s")/up.err" >&2
  done
  if [ ${#failed[@]} -gt 0 ]; then
    warn "services: FAILED to start: ${failed[*]} (after $((SECONDS - t0))s; the lines above name each log)"
    return 1
  fi
  say "services: all up in $((SECONDS - t0))s"
}

cmd_down() {
  local wipe=0 s rc pids=() failed=()
  case "${1:-}" in --wipe) wipe=1 ;; "") ;; *) usage ;; esac
  for s in "${SERVICES[@]}"; do
    if [ -d "$(dir_of "$s")" ]; then svc "$s" stop & else (say "$s: not running") & fi
    pids+=($!)
  done
  local i=0
  for s in "${SERVICES[@]}"; do
    rc=0
    wait "${pids[$i]}" || rc=$?
    i=$((i + 1))
    [ $rc = 0 ] || failed+=("$s")
  done
  if [ $wipe = 1 ]; then
    for s in "${SERVICES[@]}"; do
      if [[ " ${failed[*]} " == *" $s "* ]]; then
        warn "$s: not wiped (it did not stop)"
      elif [ -d "$(dir_of "$s")" ]; then
        rm -rf -- "$(dir_of "$s")"
        say "$s: wiped $(dir_of "$s")"
      fi
    done
  fi
  if [ ${#failed[@]} -gt 0 ]; then
    warn "services: FAILED to stop: ${failed[*]}"
    return 1
  fi
}

cmd_status() {
  local json=0 s state all=0 first=1 port url
  case "${1:-}" in --json) json=1 ;; "") ;; *) usage ;; esac
  [ $json = 1 ] || printf '%-9s %-5s %-16s %s\n' SERVICE STATE ADDRESS LOG
  [ $json = 1 ] && printf '{'
  for s in "${SERVICES[@]}"; do
    if svc "$s" status >/dev/null 2>&1; then state=up; else state=down; all=1; fi
    port=$(port_of "$s")
    url=$(url_of "$s")
    if [ $json = 1 ]; then
      [ $first = 1 ] || printf ','
      first=0
      printf '"%s":{"state":"%s","host":"127.0.0.1","port":%s,"log":%s' "$s" "$state" "$port" "$(json_str "$(log_of "$s")")"
      [ -n "$url" ] && printf ',"url":%s' "$(json_str "$url")"
      printf '}'
    else
      printf '%-9s %-5s %-16s %s\n' "$s" "$state" "127.0.0.1:$port" "$(log_of "$s")"
    fi
  done
  [ $json = 1 ] && printf '}\n'
  return $all
}

# More PostgreSQL versions from Maven Central (infra/pg-versions.sh): `up` starts them too when FERRY_PG_VERSIONS is
# set (e.g. "13 17"); `down` stops those there are (and --wipe deletes their data).
pg_versions_down() {
  bash "$INFRA/pg-versions.sh" down || return 1
  if [ "${1:-}" = --wipe ]; then
    local d
    for d in "$FERRY_RUN_DIR"/postgres-1[3-8] "$FERRY_RUN_DIR"/postgres-1[3-8]-standby; do
      [ -d "$d" ] && rm -rf -- "$d" && say "$(basename "$d"): wiped $d"
    done
  fi
  return 0
}

case "${1:-}" in
  up) [ $# -le 1 ] || usage; cmd_up && { [ -z "${FERRY_PG_VERSIONS:-}" ] || bash "$INFRA/pg-versions.sh" up; } ;;
  down) [ $# -le 2 ] || usage; rc=0; cmd_down "${2:-}" || rc=1; pg_versions_down "${2:-}" || rc=1; exit $rc ;;
  status) [ $# -le 2 ] || usage; cmd_status "${2:-}" ;;
  up-pg-versions | down-pg-versions | status-pg-versions) c=${1%-pg-versions}; shift; bash "$INFRA/pg-versions.sh" "$c" "$@" ;;
  -h | --help | help) usage ;;
  *) usage ;;
esac
