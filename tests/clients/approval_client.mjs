// A client whose user answers approvals, built on the reference TypeScript SDK (@modelcontextprotocol/client,
// pinned in package.json), for tests/integration/test_approvals.py. One JSON argument says what to do; one
// JSON line on stdout says what happened.
//
//   {"target": {"command": [...], "env": {...}} | {"url": "http://…/mcp"}, "v2": true (pin 2026-07-28),
//    "decision": "allow" | "deny" | null (dismiss the form), "tool": "send_message", "arguments": {...}}
//
// The client declares form elicitation and registers one `elicitation/create` handler: at 2025-11-25 the
// server sends it during the call; at 2026-07-28 the SDK fulfils the call's `input_required` round with it
// and retries the call (its default auto-fulfilment).
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";

const spec = JSON.parse(process.argv[2]);
const V2 = "2026-07-28";

function transport() {
  if (spec.target.url) return new StreamableHTTPClientTransport(new URL(spec.target.url));
  const [command, ...args] = spec.target.command;
  return new StdioClientTransport({ command, args, env: { ...process.env, ...(spec.target.env ?? {}) }, stderr: "inherit" });
}

const out = { asked: [] };
const options = { capabilities: { elicitation: { form: {} } } };
if (spec.v2) options.versionNegotiation = { mode: { pin: V2 } };
const client = new Client({ name: "approval-test", version: "1" }, options);
client.setRequestHandler("elicitation/create", async (request) => {
  const params = request.params ?? request;
  out.asked.push({ message: params.message, fields: Object.keys(params.requestedSchema?.properties ?? {}) });
  if (spec.decision === null) return { action: "cancel" };
  return { action: "accept", content: { decision: spec.decision, reason: "said in the TypeScript client" } };
});
try {
  await client.connect(transport());
  out.version = client.getNegotiatedProtocolVersion?.();
  const result = await client.callTool({ name: spec.tool, arguments: spec.arguments });
  out.isError = result.isError ?? false;
  out.structured = result.structuredContent ?? null;
  out.text = (result.content ?? []).map((c) => c.text ?? "").join("\n");
} catch (error) {
  out.error = String(error?.message ?? error);
  out.code = error?.code;
} finally {
  await client.close().catch(() => {});
}
process.stdout.write(JSON.stringify(out) + "\n");
