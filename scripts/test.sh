#!/usr/bin/env bash
# The test command (README quickstart, and what CI runs): installs what is missing (Node 24, npm dependencies,
# the local services), then typecheck, lint, and every test tier against the real local services.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
cd "$FERRY_ROOT"
bash infra/services.sh up
# Debezium's MariaDB connector (Maven Central, cached in .tools/debezium): test/e2e/debezium-topics-to-postgres.test.ts
# proves the database sinks apply topics written by real Debezium.
bash bench/debezium/fetch.sh mariadb
# kubeconform (built from its Go module), Kubernetes' JSON schemas (PyPI) and KEDA's CRDs (its Go module) in
# .tools/kube: test/deploy/kubernetes-manifests.test.ts checks deploy/kubernetes/ against them, offline.
bash scripts/kube-tools.sh
# The console's browser tests (test/e2e/console-*.test.ts) drive Debian's Chromium through playwright-core
# (Playwright's own browser downloads are not used).
if ! command -v chromium >/dev/null 2>&1; then
  echo "== installing Debian's chromium (the console's browser tests)"
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; fi
fi
# Tests find the services through the same variables services.sh honours.
export FERRY_REGISTRY_URL="${FERRY_REGISTRY_URL:-http://127.0.0.1:${FERRY_REGISTRY_PORT:-8081}/apis/ccompat/v7}"
echo "== typecheck"; node node_modules/typescript/bin/tsc -p tsconfig.json --noEmit
node node_modules/typescript/bin/tsc -p app/console/tsconfig.json --noEmit
echo "== lint"; node node_modules/eslint/bin/eslint.js .
# npm audit of the runtime dependencies: fails on a high or critical advisory; says "NOT DONE" (and fails only with
# FERRY_AUDIT_REQUIRED=1) when the registry refuses the advisory endpoint, as this project's CI mirror does.
echo "== dependency audit"; node scripts/audit-deps.ts
echo "== tests"
# Unit and integration tiers together; integration tests use the services started above and unique names.
rc=0
# The output is kept in .run/test-main.log too, so that the failures can be repeated at the very end (CI shows the tail).
mkdir -p .run
main_log=.run/test-main.log
set +e
node --test --test-reporter=spec --test-concurrency="${FERRY_TEST_CONCURRENCY:-2}" --test-timeout=600000 \
  'core/test/**/*.test.ts' 'schemas/test/**/*.test.ts' 'runtime/test/**/*.test.ts' 'connectors/*/test/**/*.test.ts' \
  'sinks/*/test/**/*.test.ts' 'app/test/**/*.test.ts' 'test/**/*.test.ts' "$@" 2>&1 | tee "$main_log"
rc=${PIPESTATUS[0]}
set -e
# The PostgreSQL source's integration tests again on the oldest and newest PostgreSQL (13 and 17 from Maven Central's
# binaries, and a 17 standby; 20-50 s each): scripts/test-pg-versions.sh. FERRY_PG_VERSIONS="" skips them, and
# so does a run given its own test files.
if [ $# = 0 ] && [ -n "${FERRY_PG_VERSIONS-13 17}" ]; then
  echo "== tests on PostgreSQL ${FERRY_PG_VERSIONS-13 17}"
  bash scripts/test-pg-versions.sh || rc=1
fi
if [ "$rc" != 0 ] && grep -q 'failing tests:' "$main_log"; then
  echo "== the main tier's failing tests again (full output: $main_log)"
  sed -n '/failing tests:/,$p' "$main_log" | grep -v '^    at \|^  at ' | head -200
fi
exit $rc
