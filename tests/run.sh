#!/usr/bin/env bash
# Install what the tests need (the project in .venv, the Letta server stack) and run them all:
# lint, format check, strict type check, unit and integration tests against a real Letta server.
# Quick when everything is already installed. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
VENV=.venv
stamp="$VENV/.installed-$(cat pyproject.toml | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "== installing letta-mcp and its test tools into $VENV"
  [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
  # (this machine's pip configuration warns about a missing local index on every package: drop that noise)
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -U pip 2>&1 | grep -v "is ignored: it is neither" || true
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e ".[test]" 2>&1 | grep -v "is ignored: it is neither" || true
  "$VENV/bin/python" -c "import letta_mcp, pytest, mypy, ruff" || { echo "installing the test environment failed"; exit 1; }
  rm -f "$VENV"/.installed-* && touch "$stamp"
fi

echo "== installing the Letta test stack (cached after the first run)"
"$VENV/bin/python" -m tests.stack install

echo "== ruff"
"$VENV/bin/ruff" check letta_mcp tests bench
"$VENV/bin/ruff" format --check letta_mcp tests bench
echo "== mypy --strict"
"$VENV/bin/mypy"
echo "== pytest"
"$VENV/bin/python" -m pytest "$@"
