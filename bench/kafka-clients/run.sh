#!/usr/bin/env bash
# Kafka client benchmark (see bench.ts). Installs the candidate clients into bench/kafka-clients/node_modules when they
# are missing (from package-lock.json there; the repository's own node_modules is not touched), then runs bench.ts
# against the local broker (start it with `bash infra/services.sh up`). Arguments go to bench.ts:
#   bash bench/kafka-clients/run.sh [--records 200000] [--reps 3] [--json] [--clients a,b] [--modes a,b] [--no-features]
# KC_SKIP_CONFLUENT=1 skips @confluentinc/kafka-javascript (its native build needs about a minute and system libraries).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
if [ -x "$ROOT/.tools/node/bin/node" ]; then
  export PATH="$ROOT/.tools/node/bin:$PATH"
  # node-gyp needs the headers of the running Node; without this it tries to download them.
  export npm_config_nodedir="${npm_config_nodedir:-$ROOT/.tools/node}"
fi
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 24 ? 0 : 1)' ||
  { echo "run.sh: needs Node >= 24 (bash scripts/bootstrap.sh installs it into .tools/node)" >&2; exit 1; }

installed() { [ -f "$HERE/node_modules/$1/package.json" ]; }
confluent_ok() { [ -f "$HERE/node_modules/@confluentinc/kafka-javascript/build/Release/confluent-kafka-javascript.node" ]; }

if ! installed @platformatic/kafka || ! installed kafkajs || { [ -z "${KC_SKIP_CONFLUENT:-}" ] && ! confluent_ok; }; then
  if [ -z "${KC_SKIP_CONFLUENT:-}" ]; then
    # The prebuilt librdkafka binding is downloaded from GitHub (unreachable here), and the fallback static build
    # downloads zlib/OpenSSL/zstd/curl sources, so build against the system libraries instead (CKJS_LINKING=dynamic).
    missing=()
    for p in build-essential python3 zlib1g-dev libssl-dev libzstd-dev libsasl2-dev liblz4-dev libcurl4-openssl-dev; do
      dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
      if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "run.sh: apt-get install ${missing[*]} (for the librdkafka build)" >&2
        apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
      else
        echo "run.sh: missing ${missing[*]}; the confluent client will probably fail to build (set KC_SKIP_CONFLUENT=1)" >&2
      fi
    fi
  fi
  echo "run.sh: installing the candidates into bench/kafka-clients/node_modules (the confluent native build takes about a minute)" >&2
  # The confluent client is an optionalDependency: if its build fails, npm reports the error and carries on, and the
  # benchmark reports that client as not installed.
  (cd "$HERE" && CKJS_LINKING=dynamic npm ci --no-audit --no-fund ${KC_SKIP_CONFLUENT:+--omit=optional} >&2)
fi
exec node "$HERE/bench.ts" "$@"
