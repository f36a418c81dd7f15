"""The `tools` toolset: Letta tools — list them, create them from Python source, attach them to agents.

Opt-in: a tool created here is Python that runs on the Letta server.
"""

from __future__ import annotations

import ast
from typing import Annotated, Protocol

from pydantic import Field

from letta_mcp.core.contract import declare, toolset
from letta_mcp.core.errors import InvalidInput
from letta_mcp.core.models import Attachment, ToolInfo, ToolList
from letta_mcp.toolsets._args import AgentRef, Cursor, Limit, Stripped

ToolRef = Annotated[
    str, Stripped, Field(min_length=1, max_length=200, description="The tool: its id (tool-…) or its name.")
]


class Tools(Protocol):
    """The contract of the `tools` toolset."""

    @declare("List tools", read_only=True, hint="letta agent tools functions")
    async def list_tools(
        self,
        agent: Annotated[
            str | None, Field(max_length=300, description="Only the tools attached to this agent (id or name).")
        ] = None,
        search: Annotated[str | None, Field(max_length=200, description="Text to match in tool names.")] = None,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> ToolList:
        """List the tools on the Letta server (or those attached to one agent): id, name, a one-line
        description, tags and type. Next: attach_tool to give one to an agent.
        """
        ...

    @declare(
        "Create a tool from Python",
        read_only=False,
        hint="letta create custom python tool function for agents",
        idempotent=True,
        open_world=True,
    )
    async def create_tool(
        self,
        source_code: Annotated[
            str,
            Field(min_length=1, max_length=100_000, description="One Python function, with a Google-style docstring."),
        ],
        tags: Annotated[list[str] | None, Field(max_length=20, description="Tags for the tool.")] = None,
        attach_to: Annotated[
            str | None, Field(max_length=300, description="An agent (id or name) to attach it to right away.")
        ] = None,
    ) -> ToolInfo:
        """Create (or update, if one with the same function name exists) a Letta tool from Python source.

        The source is one function; its docstring is the tool's description and documents each
        argument (Google style: a summary, 'Args:', 'Returns:'). It runs in Letta's sandbox when an
        agent calls it: import inside the function. Syntax errors and a missing docstring are reported
        before anything is sent. Next: attach_tool (or pass attach_to).
        """
        ...

    @declare("Attach a tool to an agent", read_only=False, hint="letta give agent tool function", idempotent=True)
    async def attach_tool(self, agent: AgentRef, tool: ToolRef) -> Attachment:
        """Give an agent a tool (by name or id) so it can call it from its next turn on.

        Letta does not confirm attachments itself, so the result lists the agent's tools as read back
        after the change.
        """
        ...

    @declare(
        "Detach a tool from an agent",
        read_only=False,
        hint="letta remove tool function from agent",
        destructive=True,
        idempotent=True,
    )
    async def detach_tool(self, agent: AgentRef, tool: ToolRef) -> Attachment:
        """Take a tool (by name or id) away from an agent. The tool stays on the server for other agents."""
        ...


def check_source(source: str) -> str:
    """The tool function's name, or an error a model can fix, before Letta ever sees the code."""
    try:
        module = ast.parse(source)
    except SyntaxError as exc:
        raise InvalidInput(
            f"Python syntax error at line {exc.lineno}: {exc.msg}. Fix the source and call again."
        ) from None
    functions = [n for n in module.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    if not functions:
        raise InvalidInput("The source defines no top-level function: a tool is one Python function.")
    fn = functions[-1]
    if not ast.get_docstring(fn):
        raise InvalidInput(
            f"Function {fn.name!r} has no docstring: Letta builds the tool's description and argument "
            "schema from it (a summary line, then 'Args:' with one line per argument, and 'Returns:')."
        )
    return fn.name


TOOLSET = toolset(
    "tools",
    "Letta tools: list them, create them from Python source (it runs on the Letta server), attach them.",
    default=False,
    contract=Tools,
)
