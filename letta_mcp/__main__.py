"""`python -m letta_mcp`, and the `letta-mcp` command: the CLI, started with the garbage collector held off.

Start-up makes a few hundred thousand objects that live as long as the process (the `mcp` SDK's and
pydantic's types, the settings, the contract) and frees almost none. Python's collector would walk
them again and again while they are being made: about a sixth of the start-up time, for nothing. So
it is held off here, before anything is imported, until the server is built (`cli.collect_again`).
"""

from __future__ import annotations

import gc
import sys


def main() -> None:
    if sys.argv[1:2] == ["hook"]:
        # A Claude Code hook: it imports only the standard library, for a quick start (see plugin/hook.py).
        from letta_mcp.plugin.hook import main as hook

        raise SystemExit(hook(sys.argv[2:]))
    gc.disable()
    from letta_mcp.cli import main as run

    run()


if __name__ == "__main__":
    main()
