#!/usr/bin/env bash
# Run every benchmark against the real Letta stack of the tests: `bash bench/run.sh` (add --quick for a
# smoke run). Installs what it needs into .venv first; prints the results and writes bench/results.json
# and bench/latency.png.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test,bench,fast]"
.venv/bin/python -m tests.stack install
exec .venv/bin/python -m bench "$@"
