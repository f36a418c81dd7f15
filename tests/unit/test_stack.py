"""The test stack's own safety nets: the pgvector self-check and kept logs."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.stack import letta_stack
from tests.stack.letta_stack import KEPT, StackError, check_vectors, prune_runs


def _fake_psql(tmp_path: Path, stdout: str, code: int) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    psql = bin_dir / "psql"
    psql.write_text(f"#!/bin/sh\nprintf '%s\\n' '{stdout}'\nexit {code}\n")
    psql.chmod(0o755)
    return bin_dir


def test_vector_self_check_passes_on_the_right_distance(tmp_path: Path) -> None:
    bin_dir = _fake_psql(tmp_path, "0.49951163922542885", 0)
    check_vectors(bin_dir, 5432, tmp_path / "pg.log")


def test_vector_self_check_names_sigill(tmp_path: Path) -> None:
    bin_dir = _fake_psql(tmp_path, "", 2)
    log = tmp_path / "pg.log"
    log.write_text("LOG:  client backend (PID 12) was terminated by signal 4: Illegal instruction\n")
    with pytest.raises(StackError) as raised:
        check_vectors(bin_dir, 5432, log)
    message = str(raised.value)
    assert "\n" not in message, "the cause fits in one line"
    assert "SIGILL" in message
    assert letta_stack.PGSERVER in message
    assert str(log) in message


def test_vector_self_check_refuses_a_wrong_answer(tmp_path: Path) -> None:
    bin_dir = _fake_psql(tmp_path, "0.2", 0)
    with pytest.raises(StackError, match="self-check query failed"):
        check_vectors(bin_dir, 5432, tmp_path / "pg.log")


def test_prune_keeps_recent_failed_logs_and_live_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(letta_stack, "STACK_ROOT", tmp_path)
    old = time.time() - 3600 * 2

    def run(name: str, owner: int | None, kept: float | None) -> Path:
        path = tmp_path / f"run-{name}"
        path.mkdir()
        if owner is not None:
            (path / ".owner").write_text(str(owner))
        if kept is not None:
            (path / KEPT).write_text(str(kept))
        os.utime(path, (old, old))
        return path

    dead = 2**22 + 12345  # above the default pid_max: never a live process
    live = run("live", os.getppid(), None)
    mine = run("mine", os.getpid(), None)
    recent = run("recent-failure", dead, time.time() - 3600)
    stale = run("stale-failure", dead, time.time() - 10 * 86400)
    crashed = run("crashed", dead, None)
    prune_runs()
    assert live.exists()
    assert mine.exists(), "a stack this very process runs is in use"
    assert recent.exists()
    assert not stale.exists()
    assert not crashed.exists()
