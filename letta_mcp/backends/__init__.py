"""The backends: how letta-mcp reaches a Letta. `rest` (Letta Cloud, self-hosted REST servers) through
letta-client; `app` (Letta Code's App Server) over its WebSocket. Each implements the toolsets'
contracts; `letta_mcp.server` picks one from the scheme of ``LETTA_BASE_URL``."""
