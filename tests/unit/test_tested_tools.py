"""Every tool a backend serves is called somewhere in that backend's integration tests.

The contract suite checks this at run time for the tools both backends serve
(`tests/integration/contract/test_zz_coverage.py`); this holds it for the rest, which only Letta's REST
API serves, by the tool's name in a call of the REST tests (a new tool without a test fails here)."""

from __future__ import annotations

import re
from pathlib import Path

from letta_mcp.backends.app import SERVED
from letta_mcp.core.config import Settings
from letta_mcp.server import backend_for
from letta_mcp.toolsets import TOOLS_BY_NAME

INTEGRATION = Path(__file__).resolve().parents[1] / "integration"


def test_every_tool_only_rest_serves_is_called_by_a_rest_test() -> None:
    rest = backend_for(Settings(base_url="http://127.0.0.1:9"))
    only_rest = [t for t in TOOLS_BY_NAME if rest.serves(t) and t not in SERVED]
    assert only_rest, "REST serves tools the App Server does not"
    sources = "\n".join(p.read_text() for p in INTEGRATION.glob("test_*.py") if p.name not in ("test_app_server.py",))
    untested = [
        t
        for t in only_rest
        if not re.search(rf"""(call|call_error|refuses|call_tool)\(\s*\w+,\s*["']{t}["']""", sources)
    ]
    assert untested == [], f"tools REST serves that no REST integration test calls: {untested}"
