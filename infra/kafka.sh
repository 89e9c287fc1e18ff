#!/usr/bin/env bash
# Throwaway Apache Kafka 4.1.2 broker, KRaft combined mode (broker + controller in one JVM), on 127.0.0.1.
#
#   infra/kafka.sh start  DIR [PORT] [CONTROLLER_PORT]   format DIR/data on first use, start, wait until ready
#   infra/kafka.sh stop   DIR [PORT]                     TERM (controlled shutdown), then KILL after 30s
#   infra/kafka.sh status DIR [PORT]                     exit 0 when the broker answers a Metadata request
#   infra/kafka.sh install                               fetch the jars from Maven Central into infra/kafka/lib
#
# PORT defaults to 9092, CONTROLLER_PORT to 9093. TLS: a second listener, SSL://127.0.0.1:$FERRY_KAFKA_TLS_PORT
# (default 9094), with the throwaway test CA's server certificate (common.sh ensure_tls_certs:
# $FERRY_RUN_DIR/tls/ca.pem, server.pem; SAN localhost and 127.0.0.1) and ssl.client.auth=requested (a client
# certificate, e.g. $FERRY_RUN_DIR/tls/client.pem + client.key, is verified when sent); PLAINTEXT stays on PORT.
# The jars come from infra/kafka/pom.xml (gitignored infra/kafka/lib/, ~43 MB); the broker config is
# infra/kafka/server.properties with @DATA@, @PORT@, @CONTROLLER_PORT@, @TLS_PORT@ and @TLS_DIR@ filled in,
# written to DIR/server.properties. Log: DIR/kafka.log (infra/kafka/log4j2.properties).
# Heap: -Xms256m -Xmx768m (FERRY_KAFKA_HEAP_OPTS overrides). Java: FERRY_JAVA or `java` on PATH (17 or later).
set -euo pipefail
# shellcheck source=infra/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() { sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

KDIR=$FERRY_ROOT/infra/kafka
LIB=$KDIR/lib
KAFKA_VERSION=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$KDIR/pom.xml")
JAVA=${FERRY_JAVA:-java}
SVC=kafka

kafka_install() {
  if ! command -v "$JAVA" >/dev/null 2>&1; then apt_install openjdk-17-jre-headless || return 1; fi
  [ -f "$LIB/kafka_2.13-$KAFKA_VERSION.jar" ] && return 0
  if ! command -v mvn >/dev/null 2>&1; then apt_install maven || return 1; fi
  rm -rf "$LIB" "$KDIR/lib.partial"
  with_mvn_lock run_step kafka-mvn "Kafka $KAFKA_VERSION jars from Maven Central into infra/kafka/lib" \
    mvn -B -q -f "$KDIR/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory=lib.partial ||
    return 1
  mv "$KDIR/lib.partial" "$LIB"
}

CMD=${1:-}
[ -n "$CMD" ] || usage
if [ "$CMD" = install ]; then kafka_install; exit; fi
[ $# -ge 2 ] || usage
DIR=$(realpath -m -- "$2")
PORT=${3:-9092}
CPORT=${4:-9093}
TLS_PORT=${FERRY_KAFKA_TLS_PORT:-9094}
LOG=$DIR/kafka.log
PIDFILE=$DIR/kafka.pid
MARKER="-Dferry.service.dir=$DIR "

# A Metadata v4 request (all topics) on the broker port: the reply must carry our correlation id and
# list at least one broker, which the controller does only once the broker has registered.
metadata_ok() {
  local hex
  # shellcheck disable=SC2016 # expanded by the inner bash
  hex=$(timeout 3 bash -c '
    exec 3<>"/dev/tcp/$0/$1" || exit 1
    printf "\x00\x00\x00\x13\x00\x03\x00\x04\x00\x00\x00\x07\x00\x04ferr\xff\xff\xff\xff\x00" >&3
    head -c 20 <&3 | od -An -tx1 | tr -d " \n"' 127.0.0.1 "$PORT" 2>/dev/null) || return 1
  [ "${hex:8:8}" = 00000007 ] && [ "${#hex}" = 40 ] && [ "${hex:24:8}" != 00000000 ]
}
started_logged() { [ -f "$LOG" ] && grep -q 'Kafka Server started' "$LOG"; }
healthy() { port_open 127.0.0.1 "$PORT" && metadata_ok; }

start() {
  local pid
  if pid=$(our_pid "$PIDFILE" "$MARKER") && healthy; then
    say "$SVC: already up on 127.0.0.1:$PORT (pid $pid)"
    return 0
  fi
  if [ -z "${pid:-}" ]; then
    for p in "$PORT" "$CPORT" "$TLS_PORT"; do
      if port_open 127.0.0.1 "$p"; then
        if [ "$p" = "$PORT" ] && healthy; then
          say "$SVC: already up on 127.0.0.1:$PORT (not started by this script; left alone)"
          return 0
        fi
        fail_with_log "$SVC" "$LOG" "port 127.0.0.1:$p is in use by another process"
        return 1
      fi
    done
    local major
    major=$(java_major "$JAVA")
    if [ "$major" -lt 17 ]; then
      fail_with_log "$SVC" "$LOG" "Kafka 4 needs Java 17 or later; '$JAVA' is Java $major (set FERRY_JAVA)"
      return 1
    fi
    mkdir -p "$DIR/data"
    ensure_tls_certs || { fail_with_log "$SVC" "$LOG" "no TLS certificates"; return 1; }
    # Kafka's PEM key store is one file with the key and the certificate chain
    (umask 077 && cat "$FERRY_TLS_DIR/server.key" "$FERRY_TLS_DIR/server.pem" >"$DIR/kafka-keystore.pem")
    cp -f "$FERRY_TLS_DIR/ca.pem" "$DIR/ca.pem"
    sed -e "s#@DATA@#$DIR/data#g" -e "s#@PORT@#$PORT#g" -e "s#@CONTROLLER_PORT@#$CPORT#g" \
      -e "s#@TLS_PORT@#$TLS_PORT#g" -e "s#@TLS_DIR@#$DIR#g" \
      "$KDIR/server.properties" >"$DIR/server.properties"
    local jopts
    read -r -a jopts <<<"${FERRY_KAFKA_HEAP_OPTS:--Xms256m -Xmx768m}"
    jopts+=(-XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
      "-Dlog4j2.configurationFile=$KDIR/log4j2.properties" "-Dferry.service.dir=$DIR")
    rotate_log "$LOG"
    if [ ! -f "$DIR/data/meta.properties" ]; then
      # the equivalent of `kafka-storage.sh format`; a cluster id is 16 random bytes in URL-safe base64
      # (one that starts with '-' would be read as an option, so draw again)
      local cid=-
      while [ "${cid:0:1}" = - ]; do cid=$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | cut -c1-22); done
      if ! "$JAVA" "${jopts[@]}" -cp "$LIB/*" kafka.tools.StorageTool format -t "$cid" \
        -c "$DIR/server.properties" --ignore-formatted >>"$LOG" 2>&1; then
        fail_with_log "$SVC" "$LOG" "formatting $DIR/data failed"
        return 1
      fi
    fi
    say "$SVC: starting on 127.0.0.1:$PORT (controller 127.0.0.1:$CPORT, SSL 127.0.0.1:$TLS_PORT)"
    setsid "$JAVA" "${jopts[@]}" -cp "$LIB/*" kafka.Kafka "$DIR/server.properties" >>"$LOG" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$PIDFILE"
  fi
  local rc=0 t=${FERRY_KAFKA_TIMEOUT:-90}
  wait_healthy "$t" "$pid" started_logged || rc=$?
  [ $rc = 0 ] && { wait_healthy 30 "$pid" healthy || rc=$?; }
  if [ $rc != 0 ]; then
    fail_with_log "$SVC" "$LOG" "broker not ready within ${t}s$([ $rc = 2 ] && echo ' (process exited)')"
    return 1
  fi
  say "$SVC: up on 127.0.0.1:$PORT (pid $pid, ${SECONDS}s)"
}

stop() { stop_recorded "$SVC" "$PIDFILE" "$MARKER" "$PORT" 30; }

case "$CMD" in
  start) kafka_install && start ;;
  stop) stop ;;
  status) healthy ;;
  *) usage ;;
esac
