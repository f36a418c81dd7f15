"""The toolsets: each module exports TOOLS, a list of ToolSpec, and imports letta_client only lazily."""
