"""The tools toolset against the real Letta server: create from Python, attach, and watch the agent use it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import call, call_error

SOURCE = '''
def {name}(a: int, b: int) -> str:
    """Multiply two numbers.

    Args:
        a: the first factor
        b: the second factor

    Returns:
        str: the product, as text
    """
    return str(a * b)
'''

pytestmark = pytest.mark.anyio


async def test_create_attach_use_detach(client: Any, letta: Any, uid: str) -> None:
    name = f"multiply_{uid}"
    made = await call(client, "create_tool", source_code=SOURCE.format(name=name), tags=[uid])
    assert made["name"] == name
    assert made["description"].startswith("Multiply two numbers")
    again = await call(client, "create_tool", source_code=SOURCE.format(name=name))
    assert again["id"] == made["id"], "re-creating the same function updates the tool"
    listed = await call(client, "list_tools", search=name)
    assert [t["name"] for t in listed["tools"]] == [name]

    agent = await call(client, "create_agent", name=f"{uid}-calc")
    attached = await call(client, "attach_tool", agent=agent["name"], tool=name)
    assert attached["changed"] is True
    assert name in attached["attached"]
    assert name in [t.name for t in (await letta.agents.tools.list(agent["id"])).items]
    assert (await call(client, "attach_tool", agent=agent["id"], tool=made["id"]))["changed"] is False
    mine = await call(client, "list_tools", agent=agent["id"])
    assert name in [t["name"] for t in mine["tools"]]

    reply = await call(
        client,
        "send_message",
        agent=agent["id"],
        include_tool_calls=True,
        message=f'[[tool:{name} {{"a": 6, "b": 7}}]]',
    )
    assert reply["tool_calls"][0]["result"] == "42"

    detached = await call(client, "detach_tool", agent=agent["id"], tool=name)
    assert detached["changed"] is True
    assert name not in [t.name for t in (await letta.agents.tools.list(agent["id"])).items]


async def test_create_tool_checks_the_source_before_letta(client: Any, uid: str) -> None:
    syntax = await call_error(client, "create_tool", source_code="def broken(:\n    pass")
    assert "syntax error at line 1" in syntax
    nodoc = await call_error(client, "create_tool", source_code=f"def f_{uid}(x: int) -> int:\n    return x")
    assert "no docstring" in nodoc
    nothing = await call_error(client, "create_tool", source_code="x = 1")
    assert "no top-level function" in nothing
    listed = await call(client, "list_tools", search=f"f_{uid}")
    assert listed["tools"] == []


async def test_unknown_tool(client: Any, uid: str) -> None:
    agent = await call(client, "create_agent", name=f"{uid}-nt")
    message = await call_error(client, "attach_tool", agent=agent["id"], tool=f"no_such_{uid}")
    assert "list_tools" in message
