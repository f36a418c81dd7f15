"""Argument types the toolsets share: the same name means the same thing, with the same bounds, everywhere."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

Stripped = StringConstraints(strip_whitespace=True)
"""A name or id with surrounding whitespace removed before it is checked (' ' is no name)."""

AgentRef = Annotated[
    str,
    Stripped,
    Field(min_length=1, max_length=300, description="Id or name."),
]
Label = Annotated[
    str,
    Stripped,
    Field(min_length=1, max_length=100, description="Block label, e.g. 'human'."),
]
BlockId = Annotated[str, Stripped, Field(min_length=1, max_length=200, description="Block id.")]

_AGENT_NAME = re.compile(r"^[\w '\-]+$")


def agent_name(name: str | None) -> str | None:
    """Letta's own rule for agent names (it answers a 500 otherwise); None is no new name."""
    if name is None:
        return None
    if not _AGENT_NAME.match(name) or name.strip() == "_":
        raise ValueError(
            "an agent name may contain only letters (any language), digits, spaces, hyphens, underscores and "
            "apostrophes"
        )
    return name


AgentName = AfterValidator(agent_name)
Cursor = Annotated[
    str | None,
    Field(max_length=300, description="Previous next_cursor."),
]
Limit = Annotated[int, Field(ge=1, le=100, description="Max items, 1-100.")]

# ---- a reply from an agent (send_message, ask_<agent>, get_run) ----
MessageText = Annotated[str, Field(min_length=1, max_length=100_000, description="New message only.")]
IncludeReasoning = Annotated[bool, Field(description="Include reasoning.")]
IncludeToolCalls = Annotated[bool, Field(description="Include tool calls.")]
RunId = Annotated[str, Stripped, Field(min_length=1, max_length=200, description="run_id from send_message.")]

Wait = Annotated[
    float | None,
    Field(
        ge=0,
        le=600,
        description="Seconds to wait (default 45).",
    ),
]
ConversationRef = Annotated[
    str | None,
    Stripped,
    Field(
        min_length=1,
        max_length=200,
        description="Conversation id (omit: default).",
    ),
]
