"""Turns whose socket dropped: found again on a new socket, so that no conversation stays wedged.

The App Server (0.34.12) cannot go on with a turn across connections: the turn's events went to the
socket that dropped, and its run stays marked running in the App Server's store, which then refuses
every later message in that conversation ("already has an active run") until it restarts. So as soon
as the socket is back, letta-mcp `sync`s each such turn's runtime and stops the turn (`abort_message`),
which settles its run, and reports it as stopped. A turn that was waiting for a person's answer is
stopped too: the App Server forgets a pending approval with the socket it was asked on ("no longer
pending"), so nothing could answer it. The message itself was delivered and is never sent again.
"""

from __future__ import annotations

import logging

import anyio

from letta_mcp.backends.app.socket import AppServerError, AppSocket, Disconnected, NoAnswer
from letta_mcp.backends.app.turns import Turn

logger = logging.getLogger(__name__)

STOP_WAIT = 10.0
"""How long a stopped turn's end is waited for before it is taken as over."""


async def recover(socket: AppSocket, turn: Turn) -> None:
    """Find `turn` again after its socket dropped (see the module doc); a no-op for a turn that is not lost.
    When the App Server is still unreachable the turn stays lost, and the next call about it tries again."""
    if turn.lost is None or turn.finished.is_set():
        return
    runtime = {"agent_id": turn.agent_id, "conversation_id": turn.conversation}
    try:
        await socket.request("sync", runtime=runtime, recover_approvals=True)
        turn.stopped_after_loss = True
        await socket.request("abort_message", runtime=runtime)
    except AppServerError:
        turn.ended_unseen()  # the App Server no longer has the runtime: the turn ended with it
        return
    except (Disconnected, NoAnswer):
        turn.stopped_after_loss = False
        return
    with anyio.move_on_after(STOP_WAIT):
        await turn.finished.wait()
    turn.ended_unseen()


async def recover_all(socket: AppSocket, turns: list[Turn]) -> None:
    """Recover every turn the dropped socket cut off (run in the background when it drops)."""
    for turn in turns:
        try:
            await recover(socket, turn)
        except Exception:
            logger.exception("recovering App Server turn %s failed", turn.handle)


__all__ = ["STOP_WAIT", "recover", "recover_all"]
