// A minimal MCP Apps host for the memory view's end-to-end test, built on the reference host bridge
// (AppBridge from @modelcontextprotocol/ext-apps) and the reference MCP client: it connects to letta-mcp
// (through the test's same-origin proxy, which adds the caller's bearer token: the page holds none),
// negotiates io.modelcontextprotocol/ui, finds the tool whose _meta.ui.resourceUri names a view, reads
// that ui:// resource and renders it in a sandboxed iframe, calls the tool and hands the view its input
// and result; the bridge then forwards the view's tools/call requests to the server.
// Query: ?mcp=/mcp/<caller>&agent=<id>&theme=light|dark&era=auto|legacy&meta=drop
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { AppBridge, PostMessageTransport, getToolUiResourceUri } from "@modelcontextprotocol/ext-apps/app-bridge";

const EXTENSION = "io.modelcontextprotocol/ui";
const MIME = "text/html;profile=mcp-app";
const query = new URLSearchParams(location.search);
const theme = query.get("theme") || "light";
const state = (window.hostState = { status: "starting" });
const info = { name: "letta-mcp-test-host", version: "1.0.0" };

async function main() {
  // era=auto: protocol 2026-07-28, whose requests each carry the client's capabilities (letta-mcp's HTTP is
  // stateless); era=legacy: the 2025-11-25 handshake (needs a server that keeps sessions).
  const mode = query.get("era") === "legacy" ? "legacy" : "auto";
  const client = new Client(info, {
    capabilities: { extensions: { [EXTENSION]: { mimeTypes: [MIME] } } },
    versionNegotiation: { mode },
  });
  await client.connect(new StreamableHTTPClientTransport(new URL(query.get("mcp"), location.href)));
  const { tools } = await client.listTools();
  const tool = tools.find((t) => getToolUiResourceUri(t));
  state.tools = tools.map((t) => t.name);
  if (!tool) throw new Error("no tool names a view");
  state.tool = tool.name;
  state.uri = getToolUiResourceUri(tool);
  const read = await client.readResource({ uri: state.uri });
  const content = read.contents[0];
  if (content.mimeType !== MIME) throw new Error(`view served as ${content.mimeType}`);

  const iframe = document.getElementById("app");
  const bridge = new AppBridge(
    client,
    info,
    { serverTools: {}, serverResources: {}, logging: {} },
    {
      hostContext: {
        theme,
        displayMode: "inline",
        availableDisplayModes: ["inline"],
        containerDimensions: { maxHeight: 900, width: iframe.clientWidth },
        platform: "web",
        locale: "en-US",
        toolInfo: { tool },
      },
    },
  );
  const args = { agent: query.get("agent") };
  bridge.oninitialized = async () => {
    state.status = "initialized";
    await bridge.sendToolInput({ arguments: args });
    const result = await client.callTool({ name: tool.name, arguments: args });
    // meta=drop: a host that does not pass a result's _meta on to the view.
    if (query.get("meta") === "drop") delete result._meta;
    await bridge.sendToolResult(result);
    state.status = "result sent";
  };
  bridge.onsizechange = ({ height }) => {
    if (height) iframe.style.height = `${Math.ceil(height)}px`;
  };
  await bridge.connect(new PostMessageTransport(iframe.contentWindow, iframe.contentWindow));
  iframe.srcdoc = content.text;
}

main().catch((error) => {
  state.status = "failed";
  state.error = String(error?.stack ?? error);
  document.getElementById("error").textContent = state.error;
});
