"""Argument types the toolsets share: the same name means the same thing, with the same bounds, everywhere."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

AgentRef = Annotated[
    str,
    Field(min_length=1, max_length=300, description="The agent: its id (agent-…) or its exact name."),
]
Label = Annotated[
    str,
    Field(min_length=1, max_length=100, description="A memory block's label, e.g. 'persona' or 'human'."),
]
BlockId = Annotated[str, Field(min_length=1, max_length=200, description="A block's id (block-…).")]
Cursor = Annotated[
    str | None,
    Field(max_length=300, description="next_cursor from the previous page; omit for the first page."),
]
Limit = Annotated[int, Field(ge=1, le=100, description="Most items to return (1–100).")]

# ---- a reply from an agent (send_message, ask_<agent>, get_run) ----
MessageText = Annotated[
    str, Field(min_length=1, max_length=100_000, description="Only the new message: the agent remembers the rest.")
]
IncludeReasoning = Annotated[bool, Field(description="Also return the agent's reasoning.")]
IncludeToolCalls = Annotated[bool, Field(description="Also return its tool calls and their results.")]
RunId = Annotated[str, Field(min_length=1, max_length=200, description="The run id (run-…) send_message returned.")]

Wait = Annotated[
    float | None,
    Field(
        ge=0,
        le=600,
        description="Seconds to wait for the reply before returning a run to fetch later; default "
        "LETTA_MCP_WAIT_SECONDS (45).",
    ),
]
ConversationRef = Annotated[
    str | None,
    Field(
        max_length=200,
        description="A conversation id (from create_conversation or list_conversations); omit for the agent's "
        "default thread.",
    ),
]
