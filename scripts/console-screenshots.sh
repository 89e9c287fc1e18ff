#!/usr/bin/env bash
# Copies the console screenshots the browser tests took (.cache/console-screenshots, gitignored) into docs/console/
# for docs/console.md, shrunk to small palette PNGs with ImageMagick (width at most 1000 px, 32 colours).
# Run the console tests first: scripts/node --test test/e2e/console.test.ts test/e2e/console-roles-outage.test.ts test/e2e/console-reports.test.ts
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="$ROOT/.cache/console-screenshots"
DST="$ROOT/docs/console"
SHOTS=(tasks-desktop task-stopped-desktop task-error-desktop task-dark-desktop editor-problem-desktop editor-plan-desktop audit-desktop server-gone-desktop tasks-phone task-phone editor-phone
  assessment-desktop schema-conversion-desktop validation-failures-desktop assessment-phone validation-failures-phone)
# ImageMagick 7's magick, or Debian 12's ImageMagick 6 under its own name (a plain `convert` may be something else).
IM=$(command -v magick || command -v convert-im6.q16 || true)
[ -n "$IM" ] || { echo "console-screenshots: ImageMagick is needed (apt-get install imagemagick)" >&2; exit 1; }
mkdir -p "$DST"
for s in "${SHOTS[@]}"; do
  [ -f "$SRC/$s.png" ] || { echo "console-screenshots: $SRC/$s.png is missing: run the console tests first" >&2; exit 1; }
  "$IM" "$SRC/$s.png" -resize '1000x>' +dither -colors 32 -strip "PNG8:$DST/$s.png"
  echo "$DST/$s.png $(stat -c %s "$DST/$s.png") bytes"
done
