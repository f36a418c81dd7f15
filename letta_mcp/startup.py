"""The process entry point (`letta-mcp`, `python -m letta_mcp`): start-up with the cyclic garbage
collector held off.

Start-up makes a few hundred thousand objects that live as long as the process (the `mcp` SDK's and
pydantic's types, the settings, the contract) and frees almost none. Python's collector would walk
them again and again while they are being made: about a sixth of the start-up time, for nothing. So
it is held off until the server is built (`ready`), the survivors are then moved out of its sight
(`gc.freeze`), and it runs as usual from there on.
"""

from __future__ import annotations

import gc


def main() -> None:
    gc.disable()
    from letta_mcp.cli import main as run

    run()


def ready() -> None:
    """The server is built: let the collector run again, over what is made from now on."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


__all__ = ["main", "ready"]
