from letta_mcp.startup import main

main()
