#!/usr/bin/env bash
# The PostgreSQL source's tests on other PostgreSQL versions (docs/services.md "More PostgreSQL versions"):
# starts each version from Maven Central's binaries (infra/pg-versions.sh), a hot standby of the 16+ ones (logical
# decoding on a standby), and runs the source's integration tests against each with FERRY_POSTGRES_PORT (and
# FERRY_POSTGRES_STANDBY_PORT). `npm test` (scripts/test.sh) runs it for the oldest and newest, 13 and 17.
#
#   scripts/test-pg-versions.sh [--e2e] [MAJOR ...]   default: $FERRY_PG_VERSIONS, else "13 17"
#     --e2e   also the PostgreSQL end-to-end tests (test/e2e/postgres-*.test.ts: Kafka and sinks; about 1 min a version)
#
# The other services (Kafka, registry) must be up for --e2e (infra/services.sh up). One test file at a time
# (FERRY_PG_TEST_CONCURRENCY, default 1): two at a time saved ~5 s and was flakier on a loaded machine. Exit 1 when a
# test failed.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
cd "$FERRY_ROOT"
e2e=0
if [ "${1:-}" = --e2e ]; then e2e=1; shift; fi
versions=${*:-${FERRY_PG_VERSIONS:-13 17}}
# shellcheck disable=SC2086
bash infra/pg-versions.sh up $versions
export FERRY_REGISTRY_URL="${FERRY_REGISTRY_URL:-http://127.0.0.1:${FERRY_REGISTRY_PORT:-8081}/apis/ccompat/v7}"
rc=0
for m in $versions; do
  port=$(bash infra/pg-versions.sh port "$m")
  standby=""
  if [ "$m" -ge 16 ]; then
    standby=$(bash infra/pg-versions.sh port "$m")
    standby=$((standby + 100))
    bash infra/pg-versions.sh standby "$m" "$standby" || { rc=1; standby=""; }
  fi
  files=(connectors/postgres-logical/test/integration/*.test.ts)
  [ $e2e = 1 ] && files+=(test/e2e/postgres-*.test.ts)
  echo "== PostgreSQL $m (127.0.0.1:$port${standby:+, standby 127.0.0.1:$standby}): ${#files[@]} test files"
  t0=$SECONDS
  FERRY_POSTGRES_PORT=$port FERRY_POSTGRES_STANDBY_PORT=$standby \
    node --test --test-reporter=spec --test-concurrency="${FERRY_PG_TEST_CONCURRENCY:-1}" --test-timeout=600000 "${files[@]}" || rc=1
  echo "== PostgreSQL $m: $((SECONDS - t0)) s"
done
exit $rc
