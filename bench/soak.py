"""Load and soak of the team endpoint: N concurrent HTTP clients doing mixed reads and writes for a while,
then a check that every write landed in Letta exactly once. Clients share agents (five to an agent) and
all of them edit one block attached to every agent, so concurrent writes to one block are part of the
load. Loopback only, bounded in count and time.

    python -m bench.soak --clients 50 --seconds 300 --save   # the documented soak, into bench/results.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

import anyio
from letta_client import AsyncLetta
from mcp import Client

from tests.stack.letta_stack import Stack
from tests.subprocess_server import http_server


def _rss_mb(port: int) -> float:
    """Resident memory of the letta-mcp process serving `port`."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"letta_mcp" in cmdline and str(port).encode() in cmdline:
            for line in (proc / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    raise RuntimeError(f"no letta-mcp process on port {port}")


CLIENTS_PER_AGENT = 5


async def run_soak(stack: Stack, clients: int, seconds: float, message_every: int = 25) -> dict[str, Any]:
    letta = AsyncLetta(base_url=stack.base_url, max_retries=0, timeout=120)
    tag = f"soak-{uuid.uuid4().hex[:8]}"
    agents: list[str] = []
    shared = (await letta.blocks.create(label=f"{tag}-shared", value="", limit=1_000_000)).id

    async def make(i: int) -> None:
        a = await letta.agents.create(
            name=f"{tag}-{i}",
            model=stack.model,
            embedding=stack.embedding,
            tags=[tag],
            memory_blocks=[{"label": "log", "value": "", "limit": 200_000}],
            block_ids=[shared],
        )
        agents.append(a.id)

    async with anyio.create_task_group() as tg:
        for i in range(max(2, clients // CLIENTS_PER_AGENT)):
            tg.start_soon(make, i)
    latencies: list[float] = []
    errors: list[str] = []
    written: dict[str, dict[str, list[str]]] = {a: {"passages": [], "edits": [], "messages": []} for a in agents}
    shared_edits: list[str] = []
    counts = {"calls": 0}
    with http_server(stack) as base:
        port = int(base.rsplit(":", 1)[1])

        async def client_loop(agent_id: str, deadline: float) -> None:
            async with Client(base + "/mcp") as client:
                i = 0
                while time.monotonic() < deadline:
                    i += 1
                    token = uuid.uuid4().hex[:12]
                    if i % message_every == 0:
                        name, args, kind = "send_message", {"agent": agent_id, "message": f"soak {token}"}, "messages"
                    elif i % 5 == 0:
                        name, args, kind = (
                            "insert_archival",
                            {"agent": agent_id, "text": f"soak fact {token}"},
                            "passages",
                        )
                    elif i % 5 == 1:
                        name, args, kind = (
                            "edit_block",
                            {"agent": agent_id, "label": "log", "insert_text": token, "line": -1},
                            "edits",
                        )
                    elif i % 5 == 2:
                        name, args, kind = (
                            "edit_block",
                            {"block_id": shared, "insert_text": token, "line": -1},
                            "shared",
                        )
                    elif i % 5 == 3:
                        name, args, kind = "get_block", {"agent": agent_id, "label": "log"}, ""
                    else:
                        name, args, kind = "list_agents", {"tags": [tag], "limit": 5}, ""
                    t0 = time.perf_counter()
                    try:
                        result = await client.call_tool(name, args)
                        failed = result.is_error
                        detail = " ".join(getattr(c, "text", "") for c in result.content)[:200] if failed else ""
                    except Exception as exc:  # noqa: BLE001 — counted: the soak reports every failure
                        failed, detail = True, f"{type(exc).__name__}: {exc}"[:200]
                    latencies.append(time.perf_counter() - t0)
                    counts["calls"] += 1
                    if failed:
                        errors.append(f"{name}: {detail}")
                    elif kind == "shared":
                        shared_edits.append(token)
                    elif kind:
                        written[agent_id][kind].append(token)

        warm = time.monotonic() + min(5.0, seconds / 4)
        async with anyio.create_task_group() as tg:
            for i in range(clients):
                tg.start_soon(client_loop, agents[i % len(agents)], warm)
        rss_start = _rss_mb(port)
        calls_warm = counts["calls"]
        t0 = time.monotonic()
        async with anyio.create_task_group() as tg:
            for i in range(clients):
                tg.start_soon(client_loop, agents[i % len(agents)], t0 + seconds)
        elapsed = time.monotonic() - t0
        rss_end = _rss_mb(port)
    await anyio.sleep(2)  # let the last agent turns finish in Letta
    duplicates, missing = 0, 0
    checked = {"passages": 0, "edits": 0, "messages": 0, "shared block edits": 0}
    shared_lines = ((await letta.blocks.retrieve(shared)).value or "").split("\n")
    for token in shared_edits:
        n = shared_lines.count(token)
        duplicates += n > 1
        missing += n == 0
        checked["shared block edits"] += 1
    for agent_id, kinds in written.items():
        passages = [p.text for p in await letta.agents.passages.list(agent_id, limit=10_000)]
        block = (await letta.agents.blocks.retrieve("log", agent_id=agent_id)).value or ""
        history = json.dumps(
            [m.model_dump(mode="json") for m in (await letta.agents.messages.list(agent_id, limit=1000)).items]
        )
        for token in kinds["passages"]:
            n = passages.count(f"soak fact {token}")
            duplicates += n > 1
            missing += n == 0
            checked["passages"] += 1
        for token in kinds["edits"]:
            n = block.split("\n").count(token)
            duplicates += n > 1
            missing += n == 0
            checked["edits"] += 1
        for token in kinds["messages"]:
            n = history.count(f'"soak {token}"')
            duplicates += n > 1
            missing += n == 0
            checked["messages"] += 1
    for agent_id in agents:
        await letta.agents.delete(agent_id)
    await letta.blocks.delete(shared)
    await letta.close()
    ms = sorted(x * 1000 for x in latencies)
    q = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else [ms[0]] * 99
    return {
        "clients": clients,
        "seconds": round(elapsed, 1),
        "calls": counts["calls"],
        "calls_measured": counts["calls"] - calls_warm,
        "rate": (counts["calls"] - calls_warm) / elapsed,
        "errors": len(errors),
        "error_samples": errors[:5],
        "p50_ms": statistics.median(ms),
        "p99_ms": q[98],
        "rss_start_mb": rss_start,
        "rss_end_mb": rss_end,
        "rss_growth_pct": (rss_end - rss_start) / rss_start * 100,
        "agents": len(agents),
        "writes": sum(checked.values()),
        "writes_checked": checked,
        "duplicates": duplicates,
        "missing": missing,
    }


def main() -> None:
    from tests.stack.letta_stack import running

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--save", action="store_true", help="record the result as `soak` in bench/results.json")
    args = parser.parse_args()
    with running() as stack:
        result = anyio.run(run_soak, stack, args.clients, args.seconds)
    print(json.dumps(result, indent=2))
    if args.save:
        path = Path(__file__).with_name("results.json")
        saved = json.loads(path.read_text()) if path.exists() else {}
        saved["soak"] = {**result, "date": time.strftime("%Y-%m-%d")}
        path.write_text(json.dumps(saved, indent=2) + "\n")


if __name__ == "__main__":
    main()
