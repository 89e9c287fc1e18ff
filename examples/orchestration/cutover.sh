#!/bin/sh
# Cut over from the source database to the target, with a running `ferry run` task:
#   1. stop the writers (your command: put the application in maintenance mode, revoke writes, ...);
#   2. `ferry cutover`: wait until CDCLatencySource is under MAX_LATENCY seconds and the task has drained (its committed
#      position has reached the source's end of log), then stop the task and print the final committed position;
#   3. switch the application to the target (your command), with the final position in $FERRY_FINAL_POSITION.
# On a timeout (exit 6) the task is left running and the switch is not made: re-enable the writers or try again.
#
#   examples/orchestration/cutover.sh tasks/shop.yaml 'touch /srv/app/maintenance' 'deploy-config --db target'
#
# Env: FERRY (the ferry command, default "npx ferry"), MAX_LATENCY (seconds, default 5), TIMEOUT (seconds, default 600),
# RESULT (where the cutover's JSON goes, default ./cutover-result.json).
set -u
task=${1:?usage: cutover.sh <task-file> [stop-writers-command] [switch-command]}
stop_writers=${2:-}
switch=${3:-}
FERRY=${FERRY:-npx ferry}
RESULT=${RESULT:-./cutover-result.json}

if [ -n "$stop_writers" ]; then
  sh -c "$stop_writers" || { echo "cutover.sh: the stop-writers command failed: not cutting over" >&2; exit 1; }
fi

$FERRY cutover "$task" --max-latency "${MAX_LATENCY:-5}" --timeout "${TIMEOUT:-600}" --json > "$RESULT"
rc=$?
case $rc in
  0) ;;
  6) echo "cutover.sh: the task did not drain within ${TIMEOUT:-600} s; it is still running and nothing was switched (see $RESULT)" >&2; exit 6 ;;
  *) echo "cutover.sh: ferry cutover failed (exit $rc; see $RESULT)" >&2; exit "$rc" ;;
esac

# The JSON is pretty-printed: one "key": value per line.
FERRY_FINAL_POSITION=$(sed -n 's/^  "finalPosition": "\(.*\)",\{0,1\}$/\1/p' "$RESULT")
export FERRY_FINAL_POSITION
echo "cutover.sh: task stopped at $FERRY_FINAL_POSITION" >&2
if [ -n "$switch" ]; then
  sh -c "$switch" || { echo "cutover.sh: the switch command failed (the task is stopped at $FERRY_FINAL_POSITION)" >&2; exit 1; }
fi
