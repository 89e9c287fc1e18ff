#!/usr/bin/env bash
# Two versions of Ferry side by side: the vs-Debezium workloads (Ferry only) run from another checkout and from this
# one, alternately, so that both see the box in the same minutes. One line per run; the full tables go to the log dir.
#
# Usage: bench/compare-versions.sh (--base DIR | --base-rev REV) [--pairs 3] [--engines mariadb,postgres]
#                                  [--workloads w1,w3] [--rows 500000] [--log-dir DIR] [-- extra vs-debezium options]
#   --base DIR      a checkout with its dependencies installed (npm ci) to compare against
#   --base-rev REV  a commit: checked out as a worktree under .run/compare-base-<rev> and installed on first use
#   --pairs N       alternated pairs per engine and workload (default 3)
#   --workloads     any of vs-debezium's --only values (w1, w3, w5, w8 ...); W5 lines show p99 and steady RSS
#   after --         passed to bench/vs-debezium.ts in both checkouts (e.g. --rate 5000, --ferry-settings JSON)
# Expects the local services (npm run services:up). Before each run MariaDB's binary logs are flushed and purged, so
# that every W3 drain reads only its own backlog. Exit status: 1 when a run failed (its log is named), 2 on bad usage.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
base='' base_rev='' pairs=3 engines=mariadb,postgres workloads=w1,w3 rows=500000 logdir='' extra=()
usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case $1 in
    --base) base=$2; shift 2 ;;
    --base-rev) base_rev=$2; shift 2 ;;
    --pairs) pairs=$2; shift 2 ;;
    --engines) engines=$2; shift 2 ;;
    --workloads) workloads=$2; shift 2 ;;
    --rows) rows=$2; shift 2 ;;
    --log-dir) logdir=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "compare-versions: unknown option '$1'; run with --help" >&2; exit 2 ;;
  esac
done
[[ $pairs =~ ^[1-9][0-9]*$ ]] || { echo "compare-versions: --pairs must be a positive integer, got '$pairs'" >&2; exit 2; }
node="$here/scripts/node"
if [ -n "$base_rev" ]; then
  rev=$(git -C "$here" rev-parse --short "$base_rev^{commit}" 2>/dev/null) || { echo "compare-versions: '$base_rev' is not a commit of this repository" >&2; exit 2; }
  base="$here/.run/compare-base-$rev"
  if [ ! -d "$base" ]; then
    echo "compare-versions: checking out $rev into $base and installing its dependencies (once)" >&2
    git -C "$here" worktree add --detach "$base" "$rev" >/dev/null
    ln -sfn "$here/.tools" "$base/.tools"
    (cd "$base" && PATH="$here/.tools/node/bin:$PATH" npm ci --no-audit --no-fund >/dev/null)
  fi
fi
[ -n "$base" ] || { echo "compare-versions: give --base DIR or --base-rev REV (the version to compare against); run with --help" >&2; exit 2; }
[ -f "$base/bench/vs-debezium.ts" ] && [ -d "$base/node_modules" ] || { echo "compare-versions: $base is not a Ferry checkout with its dependencies installed (bench/vs-debezium.ts, node_modules); run npm ci there, or use --base-rev" >&2; exit 2; }
logdir=${logdir:-$here/.run/compare-versions/$(date -u +%Y%m%d-%H%M%S)}
mkdir -p "$logdir"
mport=${FERRY_MARIADB_PORT:-3306}
flush() {
  "$node" --input-type=module -e "const m=await import('$here/node_modules/mysql2/promise.js');const c=await m.createConnection({host:'127.0.0.1',port:$mport,user:'root',password:'root'});await c.query('FLUSH BINARY LOGS');await c.query('PURGE BINARY LOGS BEFORE NOW()');await c.end();"
}
failed=0
run() { # label dir engine workload
  local label=$1 dir=$2 engine=$3 w=$4 log="$logdir/$1.log"
  [ "$engine" = mariadb ] && flush
  if ! (cd "$dir" && "$node" bench/vs-debezium.ts --no-record --engine "$engine" --tools ferry --only "$w" --rows "$rows" ${extra[@]+"${extra[@]}"} > "$log" 2>&1); then
    echo "$label: FAILED, see $log"; failed=1; return
  fi
  local figs
  figs=$(grep -E '\| (events/s|rows/s|CPU-s per 1M events|CPU-s per 1M rows|peak RSS MB|p99 ms|steady RSS MB|drain s) \|' "$log" | awk -F'|' '{gsub(/^ +| +$/, "", $4); gsub(/^ +| +$/, "", $5); printf "%s=%s  ", $4, $5}')
  echo "$label  $(date -u +%T) load=$(cut -d' ' -f1 /proc/loadavg)  $figs"
}
echo "base: $base ($(git -C "$base" rev-parse --short HEAD)); this: $here ($(git -C "$here" rev-parse --short HEAD)); logs: $logdir"
for ((i = 1; i <= pairs; i++)); do
  for engine in ${engines//,/ }; do
    for w in ${workloads//,/ }; do
      run "base-$w-$engine-$i" "$base" "$engine" "$w"
      run "this-$w-$engine-$i" "$here" "$engine" "$w"
    done
  done
done
exit $failed
