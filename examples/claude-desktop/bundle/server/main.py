"""The letta bundle's entry point: letta-mcp over stdio, configured by the bundle's user_config (as environment)."""

from letta_mcp.__main__ import main

if __name__ == "__main__":
    main()
