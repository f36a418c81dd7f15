"""Calling tools the way a client does, and reading the answer."""

from __future__ import annotations

from typing import Any


async def call(client: Any, name: str, /, **arguments: Any) -> dict[str, Any]:
    """Call a tool that must succeed; return its structured content."""
    result = await client.call_tool(name, arguments)
    text = result.content[0].text if result.content else ""
    assert not result.is_error, f"{name} failed: {text}"
    assert result.structured_content is not None, f"{name} returned no structured content"
    return dict(result.structured_content)


async def call_error(client: Any, name: str, /, **arguments: Any) -> str:
    """Call a tool that must fail with a tool error; return the message the model reads."""
    result = await client.call_tool(name, arguments)
    text = " ".join(getattr(c, "text", "") for c in result.content)
    assert result.is_error, f"{name} should have failed but returned {result.structured_content}"
    return text


async def until(check: Any, what: str, within: float = 30, every: float = 0.1) -> None:
    """Wait for `check()` (sync or async) to be true: an event to happen, not a fixed time to pass. `within`
    seconds is a generous bound, for hosts several times slower than this one."""
    import inspect

    import anyio

    with anyio.fail_after(within):
        while True:
            done = check()
            if inspect.isawaitable(done):
                done = await done
            if done:
                return
            await anyio.sleep(every)
    raise AssertionError(what)  # pragma: no cover


async def resource_agent(client: Any, uid: str, suffix: str = "r") -> dict[str, Any]:
    """An agent with two described blocks, for the tests of letta:// resources."""
    return await call(
        client,
        "create_agent",
        name=f"{uid}-{suffix}",
        description="resource agent",
        memory_blocks=[
            {"label": "human", "value": "Alice, likes tea", "description": "the user"},
            {"label": "persona", "value": "I am helpful", "description": "who I am"},
        ],
    )


async def text_of_resource(client: Any, uri: str) -> str:
    result = await client.read_resource(uri)
    return str(result.contents[0].text)
