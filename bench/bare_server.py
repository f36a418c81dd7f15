"""The floor: a bare `mcp` server with one trivial tool, over stdio (default) or, with ``--http PORT``,
over streamable HTTP set up as letta-mcp's is (stateless, streamed responses, uvicorn)."""

import sys

from mcp.server.mcpserver import MCPServer

server = MCPServer("bare")


@server.tool()
async def echo(text: str) -> str:
    """Echo the text back."""
    return text


if __name__ == "__main__":
    if sys.argv[1:2] == ["--http"]:
        import uvicorn

        app = server.streamable_http_app(streamable_http_path="/mcp", stateless_http=True, json_response=False)
        uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning", server_header=False)
    else:
        server.run("stdio")
