#!/usr/bin/env bash
# A local Apache Iceberg REST catalog server on 127.0.0.1, for the Iceberg sink's REST-catalog tests.
#
#   infra/iceberg-rest.sh up       install what is missing, start (or report it is already up), wait until healthy
#   infra/iceberg-rest.sh down     stop the server this script started (by its recorded PID); --wipe also deletes
#                                  the catalog and the warehouse
#   infra/iceberg-rest.sh status   exit 0 when GET /v1/config answers 200
#   infra/iceberg-rest.sh install  fetch the jars from Maven Central and compile the launcher
#
# Port: FERRY_ICEBERG_REST_PORT (default 8181). State in FERRY_RUN_DIR/iceberg-rest (default <repo>/.run):
# catalog.db (the SQLite catalog), warehouse/ (tables' files), iceberg-rest.log, iceberg-rest.pid. The catalog
# survives restarts; tests use unique namespaces.
# Auth (every request but the token endpoint needs a bearer token): the static token FERRY_ICEBERG_REST_TOKEN
# (default ferry-test-token) or one from POST /v1/oauth/tokens for the client credentials
# FERRY_ICEBERG_REST_CREDENTIAL (default ferry:ferry-secret). Test-only values: the server is on loopback only.
# What runs: Apache Iceberg FERRY_ICEBERG_VERSION (default 1.10.0)'s own REST adapter and servlet (iceberg-core's
# test jar, the code of the apache/iceberg-rest-fixture image) over a JdbcCatalog on SQLite, in Jetty 11, started
# by infra/iceberg-rest/FerryIcebergRestServer.java (loopback bind + auth). Jars: infra/iceberg-rest/pom.xml,
# copied by `mvn dependency:copy-dependencies` into .tools/iceberg-rest/<version>/lib (~45 MB). Java 17+.
# Start-up takes about 2 s. See docs/services.md#iceberg-rest-catalog.
set -euo pipefail
# shellcheck source=infra/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() { sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

SVC=iceberg-rest
VERSION=${FERRY_ICEBERG_VERSION:-1.10.0}
PORT=${FERRY_ICEBERG_REST_PORT:-8181}
TOOLS=$FERRY_ROOT/.tools/iceberg-rest/$VERSION
SRC=$FERRY_ROOT/infra/iceberg-rest
DIR=$(realpath -m -- "$FERRY_RUN_DIR/iceberg-rest")
LOG=$DIR/iceberg-rest.log
PIDFILE=$DIR/iceberg-rest.pid
MARKER="-Dferry.service.dir=$DIR "
URL="http://127.0.0.1:$PORT"
TOKEN=${FERRY_ICEBERG_REST_TOKEN:-ferry-test-token}
CREDENTIAL=${FERRY_ICEBERG_REST_CREDENTIAL:-ferry:ferry-secret}

install() {
  if ! command -v mvn >/dev/null 2>&1; then apt_install maven || return 1; fi
  if ! command -v javac >/dev/null 2>&1; then apt_install openjdk-17-jdk-headless || return 1; fi
  if [ ! -f "$TOOLS/.complete" ]; then
    rm -rf "$TOOLS/lib.partial"
    mkdir -p "$TOOLS"
    with_mvn_lock run_step iceberg-rest-mvn "Apache Iceberg $VERSION REST catalog jars from Maven Central into ${TOOLS#"$FERRY_ROOT"/}/lib" \
      mvn -B -q -f "$SRC/pom.xml" "-Diceberg.version=$VERSION" \
      org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
      "-DoutputDirectory=$TOOLS/lib.partial" -DincludeScope=runtime || return 1
    rm -rf "$TOOLS/lib"
    mv "$TOOLS/lib.partial" "$TOOLS/lib"
    touch "$TOOLS/.complete"
  fi
  # the launcher is compiled again whenever its source is newer than its class
  if [ ! "$TOOLS/classes/FerryIcebergRestServer.class" -nt "$SRC/FerryIcebergRestServer.java" ]; then
    rm -rf "$TOOLS/classes"
    mkdir -p "$TOOLS/classes"
    run_step iceberg-rest-javac "compiling infra/iceberg-rest/FerryIcebergRestServer.java" \
      javac -d "$TOOLS/classes" -cp "$TOOLS/lib/*" "$SRC/FerryIcebergRestServer.java" || return 1
  fi
}

healthy() { [ "$(curl -s -o /dev/null -m 3 -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$URL/v1/config" 2>/dev/null)" = 200 ]; }

up() {
  local pid
  if pid=$(our_pid "$PIDFILE" "$MARKER") && healthy; then
    say "$SVC: already up at $URL (pid $pid)"
    return 0
  fi
  if [ -z "${pid:-}" ]; then
    if port_open 127.0.0.1 "$PORT"; then
      if healthy; then
        say "$SVC: already up at $URL (not started by this script; left alone)"
        return 0
      fi
      fail_with_log "$SVC" "$LOG" "port 127.0.0.1:$PORT is in use by another process (set FERRY_ICEBERG_REST_PORT)"
      return 1
    fi
    install || return 1
    mkdir -p "$DIR/warehouse"
    rotate_log "$LOG"
    say "$SVC: starting Apache Iceberg $VERSION REST catalog on 127.0.0.1:$PORT"
    (
      cd "$DIR"
      exec 9>&- # not the lock of locked_up: the server would hold it for its whole life
      exec setsid java -Xms64m -Xmx384m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
        "-Dferry.service.dir=$DIR" "-Dferry.rest.port=$PORT" \
        "-Dferry.rest.warehouse=file://$DIR/warehouse" "-Dferry.rest.db=$DIR/catalog.db" \
        "-Dferry.rest.token=$TOKEN" "-Dferry.rest.credential=$CREDENTIAL" \
        -cp "$TOOLS/classes:$TOOLS/lib/*" FerryIcebergRestServer
    ) >>"$LOG" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$PIDFILE"
  fi
  local rc=0 t=${FERRY_ICEBERG_REST_TIMEOUT:-60}
  wait_healthy "$t" "$pid" healthy || rc=$?
  if [ $rc != 0 ]; then
    fail_with_log "$SVC" "$LOG" "GET $URL/v1/config not 200 within ${t}s$([ $rc = 2 ] && echo ' (process exited)')"
    return 1
  fi
  say "$SVC: up at $URL (pid $pid, ${SECONDS}s)"
}

down() {
  stop_recorded "$SVC" "$PIDFILE" "$MARKER" "$PORT" 15
  if [ "${1:-}" = --wipe ]; then rm -rf "${DIR:?}/warehouse" "$DIR/catalog.db"; say "$SVC: wiped $DIR"; fi
}

# `up` takes a lock: test files running in parallel each call it, and only one may install and start the server
# (the others wait, then find it up).
locked_up() {
  mkdir -p "$DIR"
  (
    exec 9>"$DIR/.up.lock"
    flock 9
    up
  )
}

case "${1:-}" in
  up) locked_up ;;
  down) down "${2:-}" ;;
  status) if healthy; then say "$SVC: up at $URL"; else say "$SVC: down"; exit 1; fi ;;
  install) install ;;
  *) usage ;;
esac
