#!/usr/bin/env bash
# `make superset`: Superset in .venv-superset, on the local lake's DuckDB catalog, with the
# exported retail-lake dashboard imported, served on 127.0.0.1:${SUPERSET_PORT:-8088}.
#   superset/run_local.sh LAKE [--screenshot docs/superset_dashboard.png]
set -euo pipefail
cd "$(dirname "$0")/.."
LAKE=${1:?usage: superset/run_local.sh LAKE [--screenshot PNG]}
shift
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
VENV=.venv-superset
if [ ! -f "$LAKE/_control/catalog.duckdb" ]; then
  echo "no catalog in $LAKE: run 'make run' (or retail-lake run --lake $LAKE ...) first" >&2
  exit 1
fi
if [ ! -f "$VENV/.installed" ] || [ superset/requirements.txt -nt "$VENV/.installed" ]; then
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r superset/requirements.txt
  touch "$VENV/.installed"
fi
exec "$VENV/bin/python" superset/local.py serve --lake "$LAKE" --port "${SUPERSET_PORT:-8088}" "$@"
