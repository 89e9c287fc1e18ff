#!/usr/bin/env bash
# The Java iceberg-core reader (Apache Iceberg 1.10.0 from Maven Central: JdbcCatalog + IcebergGenerics), built
# into .tools/iceberg-java/ (jars and classes; nothing committed). Used by the Iceberg sink's tests as the second
# independent reader: it applies equality deletes, which PyIceberg does not read.
#
#   infra/iceberg-java.sh install            fetch the jars (mvn) and compile the reader unless done; prints the classpath
#   infra/iceberg-java.sh read ARGS...       run it (ReadIceberg JDBC_URI CATALOG_NAME NAMESPACE.TABLE WAREHOUSE)
set -euo pipefail
# shellcheck source=infra/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

SRC=$FERRY_ROOT/infra/iceberg-java
OUT=$FERRY_ROOT/.tools/iceberg-java
STAMP=$OUT/.ferry-built-$(cat "$SRC/pom.xml" "$SRC/src/main/java/ferry/ReadIceberg.java" | sha256sum | cut -c1-16)

install() {
  if [ ! -f "$STAMP" ]; then
    # Test files run in parallel and may all ask at once: one builds, the others wait for it.
    mkdir -p "$FERRY_ROOT/.tools"
    exec 8>"$FERRY_ROOT/.tools/.iceberg-java-install.lock"
    flock 8
  fi
  if [ ! -f "$STAMP" ]; then
    command -v mvn >/dev/null 2>&1 || apt_install maven || return 1
    rm -rf "$OUT"
    mkdir -p "$OUT/lib" "$OUT/classes"
    run_step iceberg-java-mvn "Apache Iceberg 1.10.0 jars from Maven Central into ${OUT#"$FERRY_ROOT"/}/lib" \
      mvn -q -B -f "$SRC/pom.xml" dependency:copy-dependencies -DoutputDirectory="$OUT/lib" >&2 || return 1
    run_step iceberg-java-javac "compile the reader" javac -d "$OUT/classes" -cp "$OUT/lib/*" "$SRC/src/main/java/ferry/ReadIceberg.java" >&2 || return 1
    touch "$STAMP"
  fi
  say "$OUT/classes:$OUT/lib/*"
}

case "${1:-}" in
  install) install ;;
  read) shift; cp=$(install); exec java -cp "$cp" ferry.ReadIceberg "$@" ;;
  *) sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
