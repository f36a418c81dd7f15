"""The visibility rule for scoped callers: Letta-wide toolsets (folders, shared archives, Letta's MCP servers)
hold nothing a scope can own, so a caller scoped to agents gets them only when its token names them."""

from __future__ import annotations

from letta_mcp.core.callers import Caller
from letta_mcp.core.config import Settings
from letta_mcp.core.visibility import toolsets_of


def test_a_scoped_caller_gets_letta_wide_toolsets_only_by_name() -> None:
    settings = Settings(base_url="http://letta.invalid", toolsets="all")
    everyone = toolsets_of(settings, Caller("admin"))
    assert {"files", "archives", "mcp_servers"} <= set(everyone), "an unscoped caller gets what the server serves"
    scoped = toolsets_of(settings, Caller("team-x", agent_tag="team:x"))
    assert not {"files", "archives", "mcp_servers"} & set(scoped)
    assert {"agents", "memory", "agent_files", "tools"} <= set(scoped)
    named = toolsets_of(settings, Caller("team-x", agent_tag="team:x", toolsets=("agents", "files")))
    assert named == ("agents", "files"), "the operator named files for this token"
