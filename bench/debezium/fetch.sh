#!/usr/bin/env bash
# Fetch Debezium, Kafka Connect 4.3.0 and Apicurio's Avro converter from Maven Central, one lib per connector, into
# .tools/debezium/<connector>/ (gitignored), per bench/debezium/pom.xml:
#   postgres: debezium-connector-postgres 3.6.1.Final
#   mariadb:  debezium-connector-mariadb 3.5.0.Final (3.6.0/3.6.1 of this connector are not served by the registry here)
#   jdbc:     debezium-connector-jdbc 3.5.0.Final, the JDBC sink (3.6.1 is not served here), with its JDBC drivers
# Idempotent: a complete lib (marked by .complete with the pom's checksum and versions) is reused as it is.
# Usage: bench/debezium/fetch.sh [mariadb] [postgres] [jdbc]   (mariadb and postgres by default)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BASE="${FERRY_DEBEZIUM_HOME:-$ROOT/.tools/debezium}"
command -v mvn >/dev/null || { echo "debezium: mvn not found (apt-get install maven)" >&2; exit 1; }
version_of() { case $1 in mariadb) echo 3.5.0.Final ;; postgres) echo 3.6.1.Final ;; jdbc) echo 3.5.0.Final ;; *) echo "unknown connector $1" >&2; exit 2 ;; esac; }
for c in "${@:-mariadb postgres}"; do
  for connector in $c; do
    v=$(version_of "$connector")
    dest="$BASE/$connector"
    mark="$(sha256sum "$HERE/pom.xml" | cut -c1-16) $connector $v"
    if [ -f "$dest/.complete" ] && [ "$(cat "$dest/.complete")" = "$mark" ]; then
      echo "debezium: $connector $v already in $dest ($(ls "$dest" | wc -l) jars)"
      continue
    fi
    echo "debezium: fetching debezium-connector-$connector $v + connect-runtime + Apicurio converter from Maven Central into $dest"
    rm -rf "$dest.partial"
    mkdir -p "$BASE"
    mvn -B -q -f "$HERE/pom.xml" dependency:copy-dependencies -Ddbz.connector="$connector" -Ddbz.version="$v" \
      -DincludeScope=runtime -DoutputDirectory="$dest.partial"
    echo "$mark" > "$dest.partial/.complete"
    rm -rf "$dest"
    mv "$dest.partial" "$dest"
    echo "debezium: $(ls "$dest" | wc -l) jars in $dest"
  done
done
