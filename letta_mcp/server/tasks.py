"""Long replies as MCP Tasks, backed by Letta runs: nothing stored here. Both wire versions are served,
chosen by the protocol version of each request: the 2025-11-25 `tasks` capability (a client asks with
`task` on tools/call; tasks/get, tasks/result, tasks/cancel) and, from protocol 2026-07-28, the Tasks
extension `io.modelcontextprotocol/tasks` (SEP-2663: a client names the extension in its per-request
capabilities; tasks/get carries the result; tasks/update, tasks/cancel; no tasks/result).

A turn that waits for the person's approval of a tool call is an `input_required` task when the client can
show the person a form and the caller may answer (`letta_mcp.server.approvals`): at 2025-11-25 its
tasks/result asks them (elicitation/create naming the task), in the extension tasks/get carries the form
and tasks/update the answer. Otherwise the task stays `working` and its status message says what waits.

A client that asks for a task on send_message or an ask_<agent> tool gets one
as soon as the turn has a run, instead of a reply at the deadline. The task id is the run id plus what the
reply should include and when the task was made, so `tasks/get`, `tasks/result` and `tasks/cancel` work
from any replica and any process for as long as the backend keeps the run (Letta's REST API: always; the
App Server: the process that started the turn, which holds it). Each is answered by the tool a client
without tasks would call (get_run, cancel_run), so scope, errors and the reply are exactly theirs.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

import anyio
from mcp.server.extension import Extension, MethodBinding
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
    RequestParams,
    ServerTasksCapability,
    ServerTasksRequestsCapability,
    TasksCallCapability,
    TasksCancelCapability,
    TasksToolsCapability,
    TextContent,
    ToolExecution,
)
from mcp.types import Tool as MCPTool
from pydantic import ConfigDict, Field

from letta_mcp.core.approvals import NOT_WAITING, Answer, Resumed, given
from letta_mcp.core.errors import redact
from letta_mcp.core.models import Approval
from letta_mcp.core.state import RequestState, request_state
from letta_mcp.core.visibility import read_only
from letta_mcp.server.approvals import (
    RELATED_TASK,
    ask_approval,
    elicits,
    for_task,
    task_answer,
    task_input,
    waiting_call,
)
from letta_mcp.server.registry import build
from letta_mcp.toolsets import TOOLS_BY_NAME
from letta_mcp.toolsets.ask import ASK, PREFIX
from letta_mcp.toolsets.messages import Messages

logger = logging.getLogger(__name__)

KEPT = 10_000
"""How many answered runs and unanswered calls a process remembers (the oldest are forgotten first)."""

Kept = TypeVar("Kept", dict[str, str], set[str])


def _bounded(kept: Kept) -> Kept:
    """`kept`, with room for one more: a long-lived server forgets its oldest entries."""
    while len(kept) >= KEPT:
        if isinstance(kept, dict):
            kept.pop(next(iter(kept)))
        else:
            kept.pop()
    return kept


class Served(Protocol):
    """What the tasks need of the server (`LettaServer`): its tools, its visibility rule, its bus."""

    tools: Any

    @property
    def bus(self) -> Any: ...

    def allows(self, request: RequestState, name: str) -> bool: ...

    def serves_ask(self, request: RequestState) -> bool: ...

    async def exposes(self, request: RequestState, agent_id: str) -> bool:
        """Whether one of this caller's ask_ tools talks to `agent_id`."""
        ...


POLL_MS = 1000
"""How often a client should ask tasks/get (Letta's steps come a few per second at most)."""

RELATED = RELATED_TASK

CAPABILITY = ServerTasksCapability(
    requests=ServerTasksRequestsCapability(tools=TasksToolsCapability(call=TasksCallCapability())),
    cancel=TasksCancelCapability(),
)
"""Advertised at initialize: tools/call may run as a task, and a task may be cancelled (no tasks/list:
the tasks live in Letta as runs, which list_messages and the agent's history already show)."""

CANNOT_ANSWER = (
    "This caller may not answer approvals (a read-only token, or respond_to_approval is not served to it): "
    "nothing was sent. The person can answer in a client that may."
)

_STATUS = {"running": "working", "completed": "completed", "failed": "failed", "cancelled": "cancelled"}

EXTENSION = "io.modelcontextprotocol/tasks"
EXTENSION_SINCE = "2026-07-28"
"""The protocol version from which tasks are the extension (and the 2025-11-25 capability is not)."""
CLIENT_CAPABILITIES = "io.modelcontextprotocol/clientCapabilities"


def extension_era(ctx: Any) -> bool:
    """Whether this request speaks a protocol version that has the Tasks extension (dates compare as text)."""
    return str(getattr(ctx, "protocol_version", None) or "") >= EXTENSION_SINCE


def _opted_in(params: Mapping[str, Any]) -> bool:
    """2026-07-28: the client names the extension in this request's own capabilities."""
    meta = params.get("_meta")
    capabilities = meta.get(CLIENT_CAPABILITIES) if isinstance(meta, Mapping) else None
    extensions = capabilities.get("extensions") if isinstance(capabilities, Mapping) else None
    return isinstance(extensions, Mapping) and EXTENSION in extensions


class UpdateTaskRequestParams(RequestParams):
    """tasks/update (2026-07-28): answers to a task's input requests."""

    model_config = ConfigDict(populate_by_name=True, extra="allow")
    task_id: str = Field(alias="taskId")
    input_responses: dict[str, Any] = Field(default_factory=dict, alias="inputResponses")


def runs_as_task(tool: str) -> bool:
    """The tools whose call may run as a task: the ones declared so (they talk to an agent)."""
    spec = TOOLS_BY_NAME.get(tool) or (ASK if tool.startswith(PREFIX) else None)
    return spec is not None and spec.behaviour.task


def marked(tool: MCPTool) -> MCPTool:
    """`tool` as tools/list shows it: a tool that may run as a task says so (execution.taskSupport)."""
    if not runs_as_task(tool.name) or tool.execution is not None:
        return tool
    return tool.model_copy(update={"execution": ToolExecution(task_support="optional")})


def unmarked(tool: MCPTool) -> MCPTool:
    """`tool` as tools/list shows it from 2026-07-28, where the server decides per call (no taskSupport)."""
    return tool if tool.execution is None else tool.model_copy(update={"execution": None})


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


def _status_message(reply: Mapping[str, Any], asking: bool = False) -> str:
    """What the agent is doing, from its steps so far (a client shows this while it polls)."""
    status = reply.get("status")
    run = reply.get("run_id")
    approval = waiting_call(reply)
    if approval is not None:
        said = f"waiting for the user's approval of {approval.tool} (run {run})"
        if asking:
            return said + ": asking them."
        return (
            said + "; letta-mcp never approves on anyone's behalf: ask the user, then call respond_to_approval "
            "with their answer."
        )
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


def task_of(ref: TaskRef, reply: Mapping[str, Any], extension: bool = False, asking: bool = False) -> dict[str, Any]:
    """The task as the 2025-11-25 schema has it, or the extension's (ttl null: Letta keeps its runs).
    `asking`: the turn waits for the person's approval and this client can ask them (`input_required`);
    a turn that waits and cannot ask them here is done for this task (its result says what waits).

    In the extension a turn that failed in Letta is a completed task whose result is a tool error (its
    `failed` is for JSON-RPC errors); the status message says so either way."""
    status = _STATUS.get(str(reply.get("status")), "working")
    if waiting_call(reply) is not None:
        # Asked: the person's answer lets the task go on. Not asked: the task ends as a call without tasks
        # does, with the reply saying what waits (respond_to_approval takes the answer).
        status = "input_required" if asking else "completed"
    task = {
        "taskId": str(ref),
        "status": "completed" if extension and status == "failed" else status,
        "statusMessage": _status_message(reply, asking),
        "createdAt": _iso(ref.created_ms),
        "lastUpdatedAt": _iso(int(time.time() * 1000)),
    }
    if extension:
        return task | {"ttlMs": None, "pollIntervalMs": POLL_MS}
    return task | {"ttl": None, "pollInterval": POLL_MS}


class Tasks(Extension):
    """The tasks requests of one server, as an SDK extension: handlers for tasks/get, tasks/result,
    tasks/update and tasks/cancel (`methods`), each answering in the wire version of the request it serves,
    and a middleware for `tools/call` (passed to `MCPServer(middleware=...)`: it rewrites the call's
    arguments, which an extension's interceptor cannot) that makes a task when the client asks for one.

    The extension is made before the server it serves (`MCPServer(extensions=...)`): `attach` binds it."""

    identifier = EXTENSION

    def __init__(self) -> None:
        self._server: Served | None = None
        self._own: dict[str, Tool] = {}
        self._continued: dict[str, str] = {}
        """A run that paused for approval → the run its turn went on in once answered here (Letta's REST API
        takes the answer as a new run; the App Server keeps one turn)."""
        self._asking: dict[str, anyio.Event] = {}
        """2025-11-25: the waiting calls being asked about now (one question per call and caller)."""
        self._unanswered: set[str] = set()
        """2025-11-25: calls the person was asked about and did not answer: not asked again by this task."""

    def attach(self, server: Served) -> None:
        self._server = server

    @property
    def server(self) -> Served:
        if self._server is None:
            raise RuntimeError("Tasks is not attached to its server")
        return self._server

    def methods(self) -> Sequence[MethodBinding]:
        return (
            MethodBinding("tasks/get", GetTaskRequestParams, self.get),
            MethodBinding("tasks/result", GetTaskPayloadRequestParams, self.result),
            MethodBinding("tasks/update", UpdateTaskRequestParams, self.update),
            MethodBinding("tasks/cancel", CancelTaskRequestParams, self.cancel),
        )

    async def middleware(self, ctx: Any, call_next: Any) -> Any:
        params = ctx.params
        if ctx.method != "tools/call" or not isinstance(params, Mapping):
            return await call_next(ctx)
        name = str(params.get("name"))
        extension = extension_era(ctx)
        if extension:
            # The server decides per call; the 2025-11-25 `task` parameter means nothing here.
            if not (_opted_in(params) and runs_as_task(name)):
                return await call_next(ctx)
        elif params.get("task") is None:
            return await call_next(ctx)
        elif not runs_as_task(name):
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
            if extension:  # no run, no task: the tool's own answer, as a client without tasks gets it
                return answer
            said = " ".join(c.get("text", "") for c in answer.get("content", []) if isinstance(c, Mapping))
            # Before a run exists there is no task: the call failed as a request (nothing ran).
            raise MCPError(code=INVALID_PARAMS, message=said or f"{name} could not start a task.")
        ref = TaskRef(
            str(reply["run_id"]),
            bool(arguments.get("include_reasoning")),
            bool(arguments.get("include_tool_calls")),
            created_ms,
        )
        if extension:
            return {"resultType": "task", **task_of(ref, reply, extension=True)}
        return {"task": task_of(ref, reply)}

    async def get(self, ctx: Any, params: GetTaskRequestParams) -> dict[str, Any]:
        ref = TaskRef.parse(params.task_id)
        reply = await self._reply(
            ctx, "get_run", {"run_id": self._run_of(ref), "include_reasoning": True, "include_tool_calls": True}
        )
        approval = waiting_call(reply)
        asking = approval is not None and self._asks(ctx, approval)
        if not extension_era(ctx):
            if asking and approval is not None:  # the question goes to the client now, naming the task
                self._ask_soon(ctx, ref, reply, approval)
            return task_of(ref, reply, asking=asking)
        task = task_of(ref, reply, extension=True, asking=asking)
        if task["status"] == "completed":  # the extension hands the result over with the task
            task["result"] = await self._result(ctx, ref, wait=0)
        if asking and approval is not None:
            task["inputRequests"] = task_input(reply, self._shown(ctx, approval))
        return {"resultType": "complete", **task}

    async def result(self, ctx: Any, params: GetTaskPayloadRequestParams) -> dict[str, Any]:
        """The tool's own result once the task is done (waiting for it, as the spec has tasks/result)."""
        if extension_era(ctx):  # the extension has no tasks/result: tasks/get carries the result
            raise MCPError(code=METHOD_NOT_FOUND, message="Method not found")
        return await self._result(ctx, TaskRef.parse(params.task_id), wait=600)

    async def update(self, ctx: Any, params: UpdateTaskRequestParams) -> dict[str, Any]:
        """The person's answer to the call the task waits on (its `inputRequests` entry). Answers under any
        other key are ignored, as the extension says: one for a call answered already changes nothing."""
        if not extension_era(ctx):
            raise MCPError(code=METHOD_NOT_FOUND, message="Method not found")
        ref = TaskRef.parse(params.task_id)
        reply = await self._reply(ctx, "get_run", {"run_id": self._run_of(ref)})  # the caller's own, or not found
        if not self._may_answer(ctx):
            raise MCPError(code=INVALID_PARAMS, message=CANNOT_ANSWER)
        approval = waiting_call(reply)
        if approval is None:
            return {"resultType": "complete"}
        try:
            answer = task_answer(approval, params.input_responses)
        except ValueError as exc:
            raise MCPError(code=INVALID_PARAMS, message=str(exc)) from None
        if answer is not None:
            answered = await self._answer(ctx, self._run_of(ref), answer)
            said = " ".join(getattr(c, "text", "") for c in answered.content)
            # A call answered already (another way, or by a repeated update) is no longer outstanding: ignored.
            if answered.is_error and NOT_WAITING not in said:
                raise MCPError(code=INVALID_PARAMS, message=said or "The answer was not passed on.")
        return {"resultType": "complete"}

    async def cancel(self, ctx: Any, params: CancelTaskRequestParams) -> dict[str, Any]:
        ref = TaskRef.parse(params.task_id)
        before = await self._reply(ctx, "get_run", {"run_id": self._run_of(ref)})
        if before.get("status") != "running":
            raise MCPError(
                code=INVALID_PARAMS, message=f"Task {ref} is already {_STATUS.get(str(before.get('status')))}."
            )
        after = await self._reply(ctx, "cancel_run", {"run_id": self._run_of(ref)})
        if extension_era(ctx):
            return {"resultType": "complete"}
        return task_of(ref, after)

    async def _result(self, ctx: Any, ref: TaskRef, wait: float) -> dict[str, Any]:
        """send_message's own result for the run (waiting up to `wait` s at a time while it runs)."""
        while True:
            args = {"run_id": self._run_of(ref), "wait_seconds": wait, **ref.detail()}
            answer = await self._call(ctx, "get_run", args)
            reply = answer.structured_content or {}
            approval = waiting_call(reply)
            if approval is not None and wait and self._asks(ctx, approval):
                # 2025-11-25: the task is input_required and its tasks/result waits while the person is asked.
                await self._ask_soon(ctx, ref, reply, approval).wait()
                continue
            # A turn that waits for the person's approval, who is not asked here, is handed back.
            waiting = reply.get("stop_reason") == "requires_approval"
            if answer.is_error or reply.get("status") != "running" or not wait or waiting:
                break
        if reply.get("status") == "failed":
            answer = CallToolResult(
                content=[TextContent(type="text", text=_status_message(reply))], structured_content=reply, is_error=True
            )
        out = answer.model_dump(by_alias=True, mode="json", exclude_none=True)
        out["_meta"] = {**out.get("_meta", {}), RELATED: {"taskId": str(ref)}}
        return out

    def _may_answer(self, ctx: Any) -> bool:
        """Whether this caller may answer approvals (as `_call` lets it call respond_to_approval)."""
        request = request_state(ctx)
        if self.server.allows(request, "respond_to_approval"):
            return True
        return self.server.serves_ask(request) and not read_only(request.settings, request.caller)

    def _run_of(self, ref: TaskRef) -> str:
        """The run the task's turn is in now (it moves on to another run once an approval answered here)."""
        run_id = ref.run_id
        for _ in range(64):
            if run_id not in self._continued:
                break
            run_id = self._continued[run_id]
        return run_id

    @staticmethod
    def _key(ctx: Any, approval: Approval) -> str:
        return f"{request_state(ctx).cache_key}:{approval.request_id}"

    def _asks(self, ctx: Any, approval: Approval) -> bool:
        """Whether the call a task waits on is asked of this client's user: it can show a form, the caller may
        answer, and (2025-11-25) the server can send the client a request and has not asked this in vain."""
        if not (elicits(ctx) and self._may_answer(ctx)):
            return False
        if extension_era(ctx):
            return True
        return bool(ctx.session.can_send_request) and self._key(ctx, approval) not in self._unanswered

    def _ask_soon(self, ctx: Any, ref: TaskRef, reply: Mapping[str, Any], approval: Approval) -> anyio.Event:
        """Ask the person about the waiting call in the background, once (2025-11-25: the client may poll
        tasks/get or wait on tasks/result meanwhile); set when they answered, or did not."""
        key = self._key(ctx, approval)
        event = self._asking.get(key)
        if event is None:
            event = self._asking[key] = anyio.Event()
            request_state(ctx).spawn(self._ask, ctx, ref, reply, approval, key, event)
        return event

    async def _ask(
        self, ctx: Any, ref: TaskRef, reply: Mapping[str, Any], approval: Approval, key: str, event: anyio.Event
    ) -> None:
        agent, run_id = str(reply.get("agent_id")), str(reply.get("run_id"))
        try:
            with for_task(str(ref)):
                said = await ask_approval(self._context(ctx), agent, self._shown(ctx, approval), run_id)
            # Not answered, or the answer came too late (the call was answered another way): not asked again.
            if said is None or (await self._answer(ctx, run_id, said)).is_error:
                _bounded(self._unanswered).add(key)
        except Exception:
            logger.warning("could not ask the user about a task's waiting tool call", exc_info=True)
            _bounded(self._unanswered).add(key)
        finally:
            self._asking.pop(key, None)
            event.set()

    def _shown(self, ctx: Any, approval: Approval) -> Approval:
        """The waiting call as the person is shown it: no secret of the caller's."""
        arguments = redact(approval.arguments, request_state(ctx).secrets())
        return approval.model_copy(update={"arguments": arguments})

    async def _answer(self, ctx: Any, run_id: str, answer: Answer) -> CallToolResult:
        """Pass the person's answer on through respond_to_approval (its scope, checks and wording), bound to
        the call they were shown; it does not wait for the turn (the task is followed as before)."""
        arguments = {"run_id": run_id, "approve": answer.approve, "reason": answer.reason}
        with given(Resumed(run_id, answer, wait=0, ask_next=False)):
            result = await self._call(ctx, "respond_to_approval", arguments)
        went_on = (result.structured_content or {}).get("run_id")
        if not result.is_error and went_on and went_on != run_id:
            _bounded(self._continued)[run_id] = str(went_on)
        return result

    def _context(self, ctx: Any) -> Context[Any]:
        server = self.server
        return Context(request_context=ctx, mcp_server=server, subscriptions=server.bus)  # type: ignore[arg-type]

    async def _reply(self, ctx: Any, tool: str, arguments: dict[str, Any]) -> Mapping[str, Any]:
        answer = await self._call(ctx, tool, arguments)
        if answer.is_error or not isinstance(answer.structured_content, Mapping):
            said = " ".join(getattr(c, "text", "") for c in answer.content)
            raise MCPError(code=INVALID_PARAMS, message=said or f"{tool} failed.")
        return answer.structured_content

    async def _call(self, ctx: Any, tool: str, arguments: dict[str, Any]) -> CallToolResult:
        """Run `tool` (get_run, cancel_run) for this caller, as a tools/call of it would: its visibility, scope
        checks and error wording. A caller who may not call it but has ask_ tools follows, and (unless
        read-only) cancels, the runs of the agents its ask_ tools talk to, and no others."""
        server = self.server
        request = request_state(ctx)
        context = self._context(ctx)
        if server.allows(request, tool):
            return await self._run(server.tools.get_tool(tool) or self._built(tool), arguments, context)
        # Following is reading; cancelling and answering an approval are not (read-only callers may not).
        asks = server.serves_ask(request) and (tool == "get_run" or not read_only(request.settings, request.caller))
        if not asks:
            raise MCPError(code=METHOD_NOT_FOUND, message="Method not found")
        run_id = str(arguments.get("run_id") or "")
        try:  # whose run it is, without following it (following would report its steps to this caller)
            owner: str | None = await request.use(Messages).run_owner(run_id)
        except Exception:  # noqa: BLE001 — missing, another scope's or unreachable: no task of this caller's
            owner = None
        if not owner or not await server.exposes(request, owner):
            raise MCPError(code=INVALID_PARAMS, message=f"No task for run {run_id!r}: task ids come from tools/call.")
        return await self._run(self._built(tool), arguments, context)

    def _built(self, tool: str) -> Tool:
        """A fixed tool this server does not list for everyone (only ask_ tools are served, say)."""
        return self._own.get(tool) or self._own.setdefault(tool, build(TOOLS_BY_NAME[tool]))

    async def _run(self, built: Tool, arguments: dict[str, Any], context: Any) -> CallToolResult:
        try:
            result = await built.run(arguments, context, convert_result=True)
        except ToolError as exc:
            return CallToolResult(content=[TextContent(type="text", text=str(exc))], is_error=True)
        assert isinstance(result, CallToolResult)
        return result


__all__ = [
    "CAPABILITY",
    "EXTENSION",
    "TaskRef",
    "Tasks",
    "extension_era",
    "marked",
    "runs_as_task",
    "task_of",
    "unmarked",
]
