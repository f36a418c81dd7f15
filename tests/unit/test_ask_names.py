"""Tool names for exposed agents: valid, stable, distinct."""

from __future__ import annotations

import re

from letta_mcp.toolsets.ask import MAX_NAME, ask_tool_names, slugify

VALID = re.compile(r"^[a-z0-9_]{1,64}$")


def test_slugs_are_valid_lower_case_names() -> None:
    for name in [
        "Architecture Agent",
        "Zoë's café — bot!",
        "  spaced   out  ",
        "日本語のエージェント",
        "a" * 200,
        "!!!",
    ]:
        slug = slugify(name)
        assert VALID.match("ask_" + slug), (name, slug)
        assert len("ask_" + slug) <= MAX_NAME
    assert slugify("Zoë's café — bot!") == "zoe_s_cafe_bot"
    assert slugify("Architecture Agent") == "architecture_agent"


def test_look_alike_names_get_distinct_stable_tools() -> None:
    agents = [("agent-b", "data-bot", "2026-02-01"), ("agent-a", "Data Bot", "2026-01-01")]
    names = ask_tool_names(agents)
    assert names["agent-a"] == "ask_data_bot", "the oldest keeps the plain name"
    assert names["agent-b"].startswith("ask_data_bot_")
    assert names["agent-a"] != names["agent-b"]
    later = ask_tool_names([*agents, ("agent-c", "DATA  BOT", "2026-03-01")])
    assert later["agent-a"] == names["agent-a"]
    assert later["agent-b"] == names["agent-b"], "a newcomer does not rename the others"
    assert len(set(later.values())) == 3
    long = ask_tool_names([("agent-x", "y" * 100, "1"), ("agent-z", "y" * 100, "2")])
    assert all(len(n) <= MAX_NAME for n in long.values())
    assert len(set(long.values())) == 2
