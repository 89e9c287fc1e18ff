#!/usr/bin/env bash
# The demo command (README quickstart): installs what is missing (Node 24, npm dependencies, the local services),
# then runs `ferry demo`, which takes a generated MariaDB workload through Ferry into Kafka and checks the result.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
cd "$FERRY_ROOT"
exec node bin/ferry.js demo "$@"
