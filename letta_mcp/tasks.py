"""Long replies as MCP Tasks (the 2025-11-25 `tasks` capability), backed by Letta runs: nothing stored here.

A client that asks for a task (`tools/call` with `task`) on send_message or an ask_<agent> tool gets one
as soon as the turn has a run, instead of a reply at the deadline. The task id is the run id plus what the
reply should include and when the task was made, so `tasks/get`, `tasks/result` and `tasks/cancel` work
from any replica and any process for as long as the backend keeps the run (Letta's REST API: always; the
App Server: the process that started the turn, which holds it). Each is answered by the tool a client
without tasks would call (get_run, cancel_run), so scope, errors and the reply are exactly theirs.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.shared.exceptions import MCPError
from mcp.types import (
    INVALID_PARAMS,
    METHOD_NOT_FOUND,
    CallToolResult,
    CancelTaskRequestParams,
    GetTaskPayloadRequestParams,
    GetTaskRequestParams,
    ServerTasksCapability,
    ServerTasksRequestsCapability,
    TasksCallCapability,
    TasksCancelCapability,
    TasksToolsCapability,
    TextContent,
    ToolExecution,
)
from mcp.types import Tool as MCPTool

from letta_mcp.registry import build
from letta_mcp.state import RequestState, request_state
from letta_mcp.toolsets import TOOLS_BY_NAME
from letta_mcp.toolsets.ask import PREFIX


class Served(Protocol):
    """What the tasks need of the server (`LettaServer`): its tools, its visibility rule, its wiring."""

    tools: Any
    _lowlevel_server: Any
    _subscriptions: Any

    def allows(self, request: RequestState, name: str) -> bool: ...

    def serves_ask(self, request: RequestState) -> bool: ...


POLL_MS = 1000
"""How often a client should ask tasks/get (Letta's steps come a few per second at most)."""

RELATED = "io.modelcontextprotocol/related-task"

CAPABILITY = ServerTasksCapability(
    requests=ServerTasksRequestsCapability(tools=TasksToolsCapability(call=TasksCallCapability())),
    cancel=TasksCancelCapability(),
)
"""Advertised at initialize: tools/call may run as a task, and a task may be cancelled (no tasks/list:
the tasks live in Letta as runs, which list_messages and the agent's history already show)."""

_STATUS = {"running": "working", "completed": "completed", "failed": "failed", "cancelled": "cancelled"}


def runs_as_task(tool: str) -> bool:
    """The tools whose call may run as a task: the ones that talk to an agent."""
    return tool == "send_message" or tool.startswith(PREFIX)


def marked(tool: MCPTool) -> MCPTool:
    """`tool` as tools/list shows it: a tool that may run as a task says so (execution.taskSupport)."""
    if not runs_as_task(tool.name):
        return tool
    return tool.model_copy(update={"execution": ToolExecution(task_support="optional")})


@dataclasses.dataclass(frozen=True)
class TaskRef:
    """What a task id holds: the run, what its reply includes, and when the task was made (ms)."""

    run_id: str
    reasoning: bool
    tool_calls: bool
    created_ms: int

    def __str__(self) -> str:
        flags = ("r" if self.reasoning else "") + ("t" if self.tool_calls else "")
        return f"{self.run_id}~{flags or '-'}~{self.created_ms}"

    @classmethod
    def parse(cls, task_id: str) -> TaskRef:
        parts = task_id.rsplit("~", 2)
        if len(parts) != 3 or not parts[0] or not parts[2].isdigit():
            raise MCPError(code=INVALID_PARAMS, message=f"No task {task_id!r}: task ids come from tools/call.")
        run_id, flags, created = parts
        return cls(run_id, "r" in flags, "t" in flags, int(created))

    def detail(self) -> dict[str, Any]:
        return {"include_reasoning": self.reasoning, "include_tool_calls": self.tool_calls}


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat().replace("+00:00", "Z")


def _status_message(reply: Mapping[str, Any]) -> str:
    """What the agent is doing, from its steps so far (a client shows this while it polls)."""
    status = reply.get("status")
    run = reply.get("run_id")
    if status == "failed":
        reason = reply.get("stop_reason") or "it stopped with an error"
        return (
            f"The agent's turn failed in Letta (run {run}): {reason}. The message was delivered: check "
            "list_messages before sending it again."
        )
    if status == "cancelled":
        return f"The turn was cancelled (run {run}); what it did before stays done."
    if status == "completed":
        return "The agent replied."
    if reply.get("reply"):
        return "replying: " + str(reply["reply"])[:160]
    calls = reply.get("tool_calls") or []
    if calls:
        return f"calling tool {calls[-1].get('name') or '?'}"
    if reply.get("reasoning"):
        return "thinking: " + str(reply["reasoning"][-1])[:160]
    return f"working (run {run})"


def task_of(ref: TaskRef, reply: Mapping[str, Any]) -> dict[str, Any]:
    """The task as the 2025-11-25 schema has it (ttl null: Letta keeps its runs)."""
    return {
        "taskId": str(ref),
        "status": _STATUS.get(str(reply.get("status")), "working"),
        "statusMessage": _status_message(reply),
        "createdAt": _iso(ref.created_ms),
        "lastUpdatedAt": _iso(int(time.time() * 1000)),
        "ttl": None,
        "pollInterval": POLL_MS,
    }


class Tasks:
    """The tasks requests of one server: a middleware for `tools/call` with `task`, and handlers for
    tasks/get, tasks/result and tasks/cancel."""

    def __init__(self, server: Served) -> None:
        self.server = server
        self._own: dict[str, Tool] = {}

    def install(self) -> None:
        low = self.server._lowlevel_server
        low.middleware.append(self.middleware)
        low.add_request_handler("tasks/get", GetTaskRequestParams, self.get)
        low.add_request_handler("tasks/result", GetTaskPayloadRequestParams, self.result)
        low.add_request_handler("tasks/cancel", CancelTaskRequestParams, self.cancel)

    async def middleware(self, ctx: Any, call_next: Any) -> Any:
        params = ctx.params
        if ctx.method != "tools/call" or not isinstance(params, Mapping) or params.get("task") is None:
            return await call_next(ctx)
        name = str(params.get("name"))
        if not runs_as_task(name):
            raise MCPError(
                code=METHOD_NOT_FOUND,
                message=f"{name} does not run as a task (its execution.taskSupport is absent): call it without task.",
            )
        arguments = dict(params.get("arguments") or {})
        # The task exists once the turn has a run: answer then, and let the client poll.
        direct = {k: v for k, v in params.items() if k != "task"} | {"arguments": arguments | {"wait_seconds": 0}}
        created_ms = int(time.time() * 1000)
        answer = await call_next(dataclasses.replace(ctx, params=direct))
        reply = answer.get("structuredContent") if isinstance(answer, Mapping) else None
        if answer.get("isError") or not isinstance(reply, Mapping) or not reply.get("run_id"):
            said = " ".join(c.get("text", "") for c in answer.get("content", []) if isinstance(c, Mapping))
            # Before a run exists there is no task: the call failed as a request (nothing ran).
            raise MCPError(code=INVALID_PARAMS, message=said or f"{name} could not start a task.")
        ref = TaskRef(
            str(reply["run_id"]),
            bool(arguments.get("include_reasoning")),
            bool(arguments.get("include_tool_calls")),
            created_ms,
        )
        return {"task": task_of(ref, reply)}

    async def get(self, ctx: Any, params: GetTaskRequestParams) -> dict[str, Any]:
        ref = TaskRef.parse(params.task_id)
        reply = await self._reply(
            ctx, "get_run", {"run_id": ref.run_id, "include_reasoning": True, "include_tool_calls": True}
        )
        return task_of(ref, reply)

    async def result(self, ctx: Any, params: GetTaskPayloadRequestParams) -> dict[str, Any]:
        """The tool's own result once the task is done (waiting for it, as the spec has tasks/result)."""
        ref = TaskRef.parse(params.task_id)
        while True:
            answer = await self._call(ctx, "get_run", {"run_id": ref.run_id, "wait_seconds": 600, **ref.detail()})
            reply = answer.structured_content or {}
            if answer.is_error or reply.get("status") != "running":
                break
        if reply.get("status") == "failed":
            answer = CallToolResult(
                content=[TextContent(type="text", text=_status_message(reply))], structured_content=reply, is_error=True
            )
        out = answer.model_dump(by_alias=True, mode="json", exclude_none=True)
        out["_meta"] = {**out.get("_meta", {}), RELATED: {"taskId": str(ref)}}
        return out

    async def cancel(self, ctx: Any, params: CancelTaskRequestParams) -> dict[str, Any]:
        ref = TaskRef.parse(params.task_id)
        before = await self._reply(ctx, "get_run", {"run_id": ref.run_id})
        if before.get("status") != "running":
            raise MCPError(
                code=INVALID_PARAMS, message=f"Task {ref} is already {_STATUS.get(str(before.get('status')))}."
            )
        return task_of(ref, await self._reply(ctx, "cancel_run", {"run_id": ref.run_id}))

    async def _reply(self, ctx: Any, tool: str, arguments: dict[str, Any]) -> Mapping[str, Any]:
        answer = await self._call(ctx, tool, arguments)
        if answer.is_error or not isinstance(answer.structured_content, Mapping):
            said = " ".join(getattr(c, "text", "") for c in answer.content)
            raise MCPError(code=INVALID_PARAMS, message=said or f"{tool} failed.")
        return answer.structured_content

    async def _call(self, ctx: Any, tool: str, arguments: dict[str, Any]) -> CallToolResult:
        """Run `tool` for this caller, as a tools/call of it would (its scope checks and error wording)."""
        server = self.server
        request = request_state(ctx)
        if not (server.allows(request, "send_message") or server.serves_ask(request)):
            raise MCPError(code=METHOD_NOT_FOUND, message="Method not found")
        built = server.tools.get_tool(tool)
        if built is None:  # only ask_ tools are served: their runs are still the caller's to follow
            built = self._own.get(tool) or self._own.setdefault(tool, build(TOOLS_BY_NAME[tool]))
        context = Context(request_context=ctx, mcp_server=server, subscriptions=server._subscriptions)  # type: ignore[arg-type]
        try:
            result = await built.run(arguments, context, convert_result=True)
        except ToolError as exc:
            return CallToolResult(content=[TextContent(type="text", text=str(exc))], is_error=True)
        assert isinstance(result, CallToolResult)
        return result


__all__ = ["CAPABILITY", "TaskRef", "Tasks", "marked", "runs_as_task", "task_of"]
