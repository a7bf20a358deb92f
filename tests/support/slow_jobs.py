"""Slow jobs for tests that run real workers, and helpers to watch the processes that run them.

The jobs are enqueued by import path (``"tests.support.slow_jobs.sleep_once"``), so a worker
started from the repository root with it on ``PYTHONPATH`` can import them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def sleep_once(pid_file: str, seconds: float, value: Any = None) -> Any:
    """Job: append this process's id to ``pid_file``; the first run then sleeps ``seconds``, later
    runs (retries) do not. Returns ``value``."""
    path = Path(pid_file)
    first = not path.exists()
    with path.open("a") as file:
        file.write(f"{os.getpid()}\n")
    if first:
        time.sleep(seconds)
    return value


def wait_for_file(pid_file: str, release_file: str, timeout: float = 60, value: Any = None) -> Any:
    """Job: write this process's id to ``pid_file``, then wait (at most ``timeout`` s) until
    ``release_file`` exists. Returns ``value``."""
    Path(pid_file).write_text(f"{os.getpid()}\n")
    deadline = time.monotonic() + timeout
    while not Path(release_file).exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{release_file} never appeared")
        time.sleep(0.05)
    return value


def pids_in(pid_file: Path) -> list[int]:
    """The process ids a job wrote to ``pid_file``, oldest first (none while it does not exist)."""
    return [int(line) for line in pid_file.read_text().split()] if pid_file.exists() else []


def alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie, dead but not yet reaped, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: ask the process itself
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def children_of(pid: int) -> list[int]:
    """The ids of the processes whose parent is ``pid`` (Linux)."""
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                children.append(int(entry.name))
    return children


def wait_until(condition: Callable[[], Any], timeout: float, what: str, poll: float = 0.05) -> Any:
    """Poll ``condition`` until it returns something true (returned) or ``timeout`` s have passed."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(poll)
