"""MCP prompts: ready-made moves for the common uses of Letta memory. Each names the tools and resources
it relies on, so a model that follows it uses them correctly."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import Field

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

    from letta_mcp.core.state import AppContext

AgentArg = Annotated[str, Field(description="The Letta agent: its id or exact name.")]

PROJECT_BLOCKS = (
    (
        "conventions",
        "Coding conventions of the project: style, naming, testing, tools. Update when a convention "
        "is agreed or changes.",
    ),
    (
        "architecture",
        "How the project is built: main modules, their responsibilities, data flow, key "
        "dependencies. Keep it a map, not a history.",
    ),
    (
        "decisions",
        "Decisions taken and why, one line each with a date, newest last. Move old ones to archival "
        "memory when the block fills up.",
    ),
    ("open_work", "What is in progress or planned next, and known problems. Remove items when they are done."),
)


def consult_agent(agent: AgentArg, question: Annotated[str, Field(description="What to ask it.")]) -> str:
    return (
        f"Ask the Letta agent {agent!r} the question below and use its answer.\n\n"
        f"1. Call the tool send_message with agent={agent!r} and message set to the question, verbatim. Send only "
        "the question: the agent remembers its own history.\n"
        "2. If the result has status 'running', call get_run with its run_id and wait_seconds=45 until the status "
        "is 'completed'. Do not call send_message again: that would ask twice.\n"
        "3. Answer using the agent's reply, saying that it comes from that agent. If the reply is unclear, ask "
        "one follow-up with send_message.\n\n"
        f"Question: {question}"
    )


def remember(agent: AgentArg, fact: Annotated[str, Field(description="What the agent should keep.")]) -> str:
    return (
        f"Store the fact below in the memory of the Letta agent {agent!r}, in the right place.\n\n"
        f"1. Read the resource letta://agents/{agent} (or call get_agent) to see its core memory blocks, their "
        "descriptions, sizes and limits.\n"
        "2. Decide where the fact belongs:\n"
        "   - A core memory block, if the agent must always have it in view (preferences, conventions, current "
        "goals, who the user is) and a block's description fits it. Add it with edit_block (insert_text=<fact>, "
        "line=-1), or replace an outdated statement with edit_block (old_text → new_text). Stay within the "
        "block's limit.\n"
        "   - Archival memory otherwise (details, history, reference material): first search_archival to avoid "
        "a duplicate, then insert_archival with one or two tags.\n"
        "3. Say where you stored it and why.\n\n"
        f"Fact: {fact}"
    )


def recall(agent: AgentArg, topic: Annotated[str, Field(description="What to recall.")]) -> str:
    return (
        f"Recall what the Letta agent {agent!r} knows about the topic below, and summarise it.\n\n"
        f"1. Read letta://agents/{agent} for its core memory (always-in-view facts).\n"
        f"2. Call search_archival with agent={agent!r} and query set to the topic (limit 10).\n"
        f"3. Call search_messages with agent={agent!r} and the same query, for what was said in conversation.\n"
        "4. Summarise what you found, most reliable first: core memory, then archival passages (with their "
        "dates), then conversation. Say plainly if nothing was found; do not invent.\n\n"
        f"Topic: {topic}"
    )


def project_memory(agent: AgentArg) -> str:
    blocks = "\n".join(f"   - label {label!r}, description: {description}" for label, description in PROJECT_BLOCKS)
    return (
        f"Set up the Letta agent {agent!r} as this coding project's long-term memory.\n\n"
        f"1. Call get_agent with agent={agent!r}. If it does not exist, call create_agent with name={agent!r}, a "
        "description saying it holds this project's memory, and the memory blocks below (unique_by='name' makes "
        "this safe to repeat).\n"
        "2. If it exists, compare its blocks with the list below and add each missing one with create_block "
        f"(attach_to=[{agent!r}], limit=5000).\n"
        f"   Blocks:\n{blocks}\n"
        "3. Fill each block from what you know of the project now (read its README and layout if needed), with "
        "update_block; keep each to the point.\n"
        "4. From now on, when a convention, architectural fact or decision is agreed, record it with edit_block "
        "in the right block; put long detail in archival memory with insert_archival.\n"
        f"5. Finish by reading letta://agents/{agent} and summarising what the memory holds."
    )


def register_prompts(server: MCPServer[AppContext]) -> None:
    server.prompt(
        name="consult_agent",
        title="Consult a Letta agent",
        description="Ask a Letta agent a question and use its answer.",
    )(consult_agent)
    server.prompt(
        name="remember",
        title="Remember a fact",
        description="Store a fact in the right place of an agent's memory: a core block or archival.",
    )(remember)
    server.prompt(
        name="recall",
        title="Recall a topic",
        description="Search an agent's core memory, archival memory and history, and summarise.",
    )(recall)
    server.prompt(
        name="project_memory",
        title="Project memory",
        description="Set up an agent as a coding project's memory: conventions, architecture, decisions, open work.",
    )(project_memory)


__all__ = ["PROJECT_BLOCKS", "register_prompts"]
