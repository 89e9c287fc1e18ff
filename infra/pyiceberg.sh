#!/usr/bin/env bash
# PyIceberg (from PyPI) in a venv under .tools/, the independent reader of the Iceberg sink's tests.
#
#   infra/pyiceberg.sh install   make the venv (pinned versions) unless it is there; prints its python
#   infra/pyiceberg.sh python    print the venv's python (exit 1 when not installed)
#
# Versions: FERRY_PYICEBERG_VERSION (default 0.10.0), with pyarrow and SQLAlchemy/psycopg2 for the SQL catalog.
set -euo pipefail
# shellcheck source=infra/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

PYICEBERG_VERSION=${FERRY_PYICEBERG_VERSION:-0.10.0}
PYARROW_VERSION=${FERRY_PYARROW_VERSION:-21.0.0}
SQLALCHEMY_VERSION=2.0.43
PSYCOPG2_VERSION=2.9.10
VENV=$FERRY_ROOT/.tools/pyiceberg-$PYICEBERG_VERSION
STAMP=$VENV/.ferry-pyiceberg-$PYICEBERG_VERSION-$PYARROW_VERSION

install() {
  [ -x "$VENV/bin/python" ] && [ -f "$STAMP" ] && { say "$VENV/bin/python"; return 0; }
  # Test files run in parallel and may all ask at once: one installs, the others wait for it.
  mkdir -p "$FERRY_ROOT/.tools"
  exec 8>"$FERRY_ROOT/.tools/.pyiceberg-install.lock"
  flock 8
  [ -x "$VENV/bin/python" ] && [ -f "$STAMP" ] && { say "$VENV/bin/python"; return 0; }
  local py=/usr/bin/python3
  [ -x "$py" ] || py=python3
  if ! "$py" -c 'import venv, ensurepip' >/dev/null 2>&1; then apt_install python3-venv || return 1; fi
  rm -rf "$VENV"
  # shellcheck disable=SC2016 # expanded by the inner bash
  run_step pyiceberg-pip "pyiceberg==$PYICEBERG_VERSION, pyarrow==$PYARROW_VERSION from PyPI into ${VENV#"$FERRY_ROOT"/}" \
    bash -c '"$1" -m venv "$2" && "$2/bin/pip" install -q "pyiceberg[sql-sqlite,sql-postgres,pyarrow]==$3" "pyarrow==$4" "SQLAlchemy==$5" "psycopg2-binary==$6"' \
    _ "$py" "$VENV" "$PYICEBERG_VERSION" "$PYARROW_VERSION" "$SQLALCHEMY_VERSION" "$PSYCOPG2_VERSION" >&2 || return 1
  touch "$STAMP"
  say "$VENV/bin/python"
}

case "${1:-}" in
  install) install ;;
  python) [ -f "$STAMP" ] && say "$VENV/bin/python" || { warn "PyIceberg is not installed: run infra/pyiceberg.sh install"; exit 1; } ;;
  *) sed -n '2,7p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
