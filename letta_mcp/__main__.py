from letta_mcp.cli import main

main()
