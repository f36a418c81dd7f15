"""The output budget: pages drop items and point at the rest; long texts are cut with a marker."""

from __future__ import annotations

from letta_mcp.core.models import AgentList, AgentSummary, Block, fit
from letta_mcp.server.schema import compact


def test_a_page_over_budget_keeps_a_cursor_to_the_rest() -> None:
    agents = [AgentSummary(id=f"agent-{i:04d}", name=f"n{i}", description="x" * 200) for i in range(50)]
    page = AgentList(agents=agents, next_cursor=None)
    small = fit(page, 2_000)
    assert len(small.model_dump_json(exclude_none=True)) <= 2_000
    assert 0 < len(small.agents) < 50
    assert small.next_cursor == small.agents[-1].id
    assert small.note
    assert "next_cursor" in small.note


def test_a_long_text_is_cut_with_a_marker() -> None:
    block = Block(id="block-1", label="notes", value="y" * 50_000, chars=50_000)
    cut = fit(block, 5_000)
    assert len(cut.model_dump_json(exclude_none=True)) <= 5_000
    assert "cut" in cut.value
    assert "of 50000 chars" in cut.value


def test_a_result_within_budget_is_untouched() -> None:
    block = Block(id="block-1", label="notes", value="short", chars=5)
    assert fit(block, 5_000) is block


def test_unset_fields_are_left_out() -> None:
    assert "next_cursor" not in AgentList(agents=[], next_cursor=None).model_dump()


def test_compact_schema_keeps_meaning() -> None:
    schema = {
        "properties": {
            "title": {
                "anyOf": [{"type": "string"}, {"type": "null"}],
                "default": None,
                "title": "Title",
                "description": "d",
            }
        },
        "title": "X",
        "type": "object",
    }
    assert compact(schema) == {"properties": {"title": {"type": "string", "description": "d"}}, "type": "object"}
    assert compact(schema, descriptions=False) == {"properties": {"title": {"type": "string"}}, "type": "object"}
