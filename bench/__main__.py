"""All benchmarks in one run, against the real Letta stack of the tests: ``python -m bench``.

Every figure is a ratio against a floor measured in the same run (the machines are shared and
noisy); absolute times are printed for context. Writes bench/results.json and bench/latency.png.
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio

from bench import app, catalog_size, cold_start, first_progress, hooks, memory, overhead, throughput
from tests.stack.app_stack import running_app
from tests.stack.letta_stack import running

HERE = Path(__file__).resolve().parent
KEPT = ("soak",)
"""Records in results.json that other commands write; a run of this one keeps them."""


def machine() -> str:
    import os

    return f"{os.cpu_count()} cores, {platform.system()} {platform.release()}, Python {platform.python_version()}"


async def _letta_benches(stack: Any, quick: bool) -> dict[str, Any]:
    from letta_client import AsyncLetta

    letta = AsyncLetta(base_url=stack.base_url, max_retries=0)
    agent = await letta.agents.create(
        name=f"bench-{time.time_ns()}",
        model=stack.model,
        embedding=stack.embedding,
        tags=["bench"],
        memory_blocks=[{"label": "human", "value": "The user likes short answers. " * 20, "description": "the user"}],
    )
    results: dict[str, Any] = {}
    calls = 100 if quick else 400
    results["overhead"] = await overhead.measure(stack, letta, agent.id, calls)
    levels = (1, 8) if quick else (1, 8, 32)
    results["throughput"] = await throughput.measure(stack, letta, agent.id, levels, 3.0 if quick else 6.0)
    results["memory"] = await anyio.to_thread.run_sync(memory.measure, stack, agent.id, 300 if quick else 1000)
    results["first_progress"] = await first_progress.measure(stack, 5 if quick else 20)
    await letta.agents.delete(agent.id)
    await letta.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run)")
    args = parser.parse_args()
    # The in-process server of the floors configures logging at INFO: a line per HTTP request would be noise.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    started = time.monotonic()
    results: dict[str, Any] = {"date": datetime.now(UTC).date().isoformat(), "machine": machine()}
    results["catalog"] = catalog_size.measure()
    results["cold_start_unreachable"] = cold_start.measure(5 if args.quick else 15)
    with running() as stack:
        results["stack_start_s"] = stack.started_seconds
        results["cold_start"] = cold_start.measure(5 if args.quick else 15, stack.base_url)
        results.update(anyio.run(_letta_benches, stack, args.quick))
        results["hooks"] = hooks.measure(stack.env(), 8 if args.quick else 20)
    with running_app() as app_server:
        results["app"] = anyio.run(app.measure, app_server, args.quick)
        results["app"]["hooks"] = hooks.measure(app_server.env(), 8 if args.quick else 20)
    results["elapsed_s"] = time.monotonic() - started
    saved = HERE / "results.json"
    if saved.exists():  # the soak is a run of its own (bench.soak --save): keep its record
        results.update({k: v for k, v in json.loads(saved.read_text()).items() if k in KEPT})
    saved.write_text(json.dumps(results, indent=2) + "\n")
    overhead.chart(results["overhead"], HERE / "latency.png")
    print(report(results))


def report(r: dict[str, Any]) -> str:
    lines = [f"letta-mcp benchmarks — {r['date']}, {r['machine']}", ""]
    for key, what in (("cold_start", "Letta reachable"), ("cold_start_unreachable", "Letta unreachable")):
        c = r[key]
        lines.append(
            f"cold start ({what}): letta-mcp {c['letta_mcp_s']:.3f} s / bare mcp {c['bare_mcp_s']:.3f} s = "
            f"{c['ratio']:.2f} (goal ≤ 1.15)"
        )
    fl = r["overhead"]["floors"]
    floor = {"stdio": fl["bare_stdio_echo_p50_ms"], "http": fl["bare_http_echo_p50_ms"]}
    for name, o in r["overhead"]["tools"].items():
        for transport in ("stdio", "http"):
            t = o[transport]
            lines.append(
                f"overhead {name} over {transport}: p50 {t['p50']:.2f} ms, +{t['added_p50']:.2f} ms vs direct "
                f"{o['direct']['p50']:.2f} = {t['added_vs_floor']:.2f}× the bare {transport} echo "
                f"({floor[transport]:.2f} ms) (goal ≤ 2); p95 {t['p95']:.2f}, p99 {t['p99']:.2f}"
            )
    lines.append(
        f"  for context: the bare stdio echo back to back {fl['bare_stdio_echo_back_to_back_p50_ms']:.2f} ms; "
        f"letta-mcp's own processing in-process {fl['in_process_added_p50_ms']:.2f} ms"
    )
    for level in r["throughput"]["levels"]:
        lines.append(
            f"throughput x{level['clients']}: {level['mcp_rps']:.0f}/s via letta-mcp vs "
            f"{level['direct_rps']:.0f}/s direct = {level['ratio']:.2f}, errors {level['errors']} "
            "(goal ≥ 0.80, 0 errors)"
        )
    cat = r["catalog"]
    lines.append(
        f"tool definitions a model reads (default toolsets, {cat['default']['tools']} tools): "
        f"{cat['default']['definitions_bytes']:,} bytes (goal ≤ 10,500); tools/list on the wire "
        f"{cat['default']['wire_bytes']:,} bytes; all {cat['all']['tools']} tools: "
        f"{cat['all']['definitions_bytes']:,} / {cat['all']['wire_bytes']:,} bytes"
    )
    m = r["memory"]
    lines.append(
        f"memory: idle {m['idle_mb']:.1f} MB (bare mcp server {m['bare_idle_mb']:.1f} MB), "
        f"after {m['calls']} calls {m['after_mb']:.1f} MB, samples "
        f"{', '.join(f'{x:.1f}' for x in m['samples_mb'])} (goal ≤ 80 MB idle, no growth trend)"
    )
    f = r["first_progress"]
    lines.append(
        f"first progress: {f['mcp_first_progress_ms']:.0f} ms vs first SDK chunk "
        f"{f['sdk_first_chunk_ms']:.0f} ms = {f['ratio']:.2f}"
    )
    a = r["app"]
    c = a["cold_start"]
    lines.append(
        f"App Server: cold start: letta-mcp {c['letta_mcp_s']:.3f} s / bare mcp {c['bare_mcp_s']:.3f} s = "
        f"{c['ratio']:.2f} (goal ≤ 1.15)"
    )
    for transport in ("stdio", "http"):
        t = a["overhead"][transport]
        lines.append(
            f"App Server: get_block over {transport}: p50 {t['p50']:.2f} ms vs a raw WebSocket read "
            f"{a['overhead']['direct']['p50']:.2f} ms (+{t['added_p50']:.2f} ms = {t['added_vs_floor']:.2f}× the "
            f"bare {transport} echo {t['bare_echo_p50']:.2f} ms) (goal ≤ 2)"
        )
    af = a["first_progress"]
    lines.append(
        f"App Server: first progress {af['mcp_first_progress_ms']:.0f} ms vs a raw client's first delta "
        f"{af['raw_first_delta_ms']:.0f} ms = {af['ratio']:.2f}"
    )
    lines += hooks.report(r["hooks"], " (REST)")
    lines += hooks.report(a["hooks"], " (App Server)")
    lines.append(f"(stack up in {r['stack_start_s']:.1f} s; whole run {r['elapsed_s']:.0f} s)")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
