// A client of MCP Tasks, built on the reference library @modelcontextprotocol/ext-tasks (pinned in
// package.json), for tests/integration/test_tasks.py. One JSON argument says what to do; one JSON line
// on stdout says what happened.
//
//   {"target": {"command": [...]} | {"url": "http://…/mcp"}, "do": "call" | "cancel" | "follow" | "plain",
//    "tool": "send_message", "arguments": {...}, "taskId": "…" (follow), "v2": true (2026-07-28, HTTP)}
//
// call:   call the tool as a task and settle it: the task id, every task status seen, the outcome.
// cancel: call as a task, cancel once it is working, settle.
// follow: a task made by another process: its snapshot, then its result (tasks/get, tasks/result).
// create: call as a task and leave it running (the task id only).
// plain:  an ordinary tools/call from a client without ext-tasks (today's hand-back).
//
// "answers": [{"decision": "allow" | "deny", "reason": "…"} | "cancel", …]: the client declares
// elicitation, and its user answers each question the task asks, in turn (the library's input routing:
// on a 2025-11-25 task an elicitation/create naming the task, in the extension a tasks/update); every
// question is recorded in "asked" with how it came.
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import {
  createApplicationInputHandler,
  createTaskSessionFromClient,
  toolDeclarationFromMcpTool,
} from "@modelcontextprotocol/ext-tasks/client";

const spec = JSON.parse(process.argv[2]);
const started = performance.now();
const ms = () => Math.round(performance.now() - started);

function transport() {
  if (spec.target.url) return new StreamableHTTPClientTransport(new URL(spec.target.url));
  const [command, ...args] = spec.target.command;
  return new StdioClientTransport({ command, args, env: { ...process.env, ...(spec.target.env ?? {}) }, stderr: "inherit" });
}

// spec.v2: protocol 2026-07-28 and the Tasks extension (HTTP only). The SDK's codecs do not take the
// extension's wire shapes, so, as the library documents, its task requests go out through a raw dispatch
// of our own: one POST each, framed the way the 2026-07-28 HTTP transport wants.
const V2 = "2026-07-28";
const CLIENT_INFO = { name: "ext-tasks-test", version: "1" };

async function rawDispatch(request, options = {}) {
  const headers = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    "mcp-protocol-version": V2,
    "mcp-method": request.method,
  };
  if (request.method === "tools/call") headers["mcp-name"] = request.params.name;
  const response = await fetch(spec.target.url, {
    method: "POST",
    headers,
    body: JSON.stringify({ jsonrpc: "2.0", id: Math.floor(Math.random() * 1e9), ...request }),
    signal: options.signal,
  });
  const text = await response.text();
  const lines = text.trim().startsWith("{") ? [text] : text.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5));
  const message = lines.map((l) => JSON.parse(l)).find((m) => "result" in m || "error" in m);
  if (!message) throw new Error(`no JSON-RPC response (HTTP ${response.status}): ${text.slice(0, 300)}`);
  return message.error ? { kind: "error", error: message.error } : { kind: "result", result: message.result };
}

const capabilities = spec.answers ? { elicitation: { form: {} } } : {};
const clientOptions = { capabilities, ...(spec.v2 ? { versionNegotiation: { mode: { pin: V2 } } } : {}) };
const client = new Client(CLIENT_INFO, clientOptions);
await client.connect(transport());
const out = { era: client.getProtocolEra(), version: client.getNegotiatedProtocolVersion?.(), asked: [] };
const answers = [...(spec.answers ?? [])];
const refuse = () => {
  throw new Error("this client's user answers approvals only");
};
const onInputRequest = spec.answers
  ? createApplicationInputHandler({
      elicitation: async (request, context) => {
        out.asked.push({ message: request.params.message, delivery: context.delivery, taskId: context.taskId ?? null });
        const answer = answers.shift() ?? "cancel";
        return answer === "cancel" ? { action: "cancel" } : { action: "accept", content: answer };
      },
      sampling: refuse,
      roots: refuse,
    })
  : undefined;
const sessionOptions = {
  ...(spec.v2 ? { rawDispatch, v2RequestFraming: { protocolVersion: V2, clientInfo: CLIENT_INFO, clientCapabilities: capabilities } } : {}),
  ...(onInputRequest ? { onInputRequest } : {}),
};
try {
  if (spec.do === "plain") {
    const result = await client.callTool({ name: spec.tool, arguments: spec.arguments });
    out.result = result;
  } else {
    const session = createTaskSessionFromClient(client, { endpointId: "letta-mcp-test", ...sessionOptions });
    out.capabilities = session.capabilities;
    if (spec.do === "follow") {
      const task = session.task(spec.taskId);
      out.snapshot = await task.snapshot();
      const outcome = await task.result();
      out.outcome = { status: outcome.status, result: outcome.result, error: outcome.error?.message };
    } else {
      const listed = (await client.listTools()).tools.find((t) => t.name === spec.tool);
      out.listed = { execution: listed?.execution ?? null };
      const calling = performance.now();
      const execution = await session.callTool(spec.tool, spec.arguments, {
        task: { preference: "prefer" },
        declaration: listed ? toolDeclarationFromMcpTool(listed) : undefined,
      });
      out.call_ms = Math.round(performance.now() - calling);
      out.kind = execution.kind;
      out.taskId = execution.handle?.taskId;
      out.created_ms = ms();
      if (spec.do === "create") {
        await execution.detach();
        await session.close();
        throw { done: true };
      }
      out.events = [];
      let cancelling;
      const { outcome } = await execution.settle({
        onEvent: (event) => {
          if (event.type !== "task") return;
          out.events.push({ at_ms: ms(), status: event.task.status, message: event.task.statusMessage });
          if (spec.do === "cancel" && event.task.status === "working" && !cancelling) cancelling = execution.cancel();
        },
      });
      if (cancelling) await cancelling;
      out.outcome = { status: outcome.status, result: outcome.result, error: outcome.error?.message };
    }
    await session.close();
  }
} catch (error) {
  if (error?.done) {
    // left running on purpose
  } else {
  out.error = String(error?.message ?? error);
  out.code = error?.code;
  }
} finally {
  await client.close().catch(() => {});
}
process.stdout.write(JSON.stringify(out) + "\n");
