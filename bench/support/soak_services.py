"""The processes a soak run starts (``hz45`` commands) and the memory of the API's workers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

HZ45 = str(Path(sys.executable).with_name("hz45"))
MIB = 1024 * 1024


def service_env(database_url: str, redis_url: str) -> dict[str, str]:
    """The environment of every child: this one without HZ45_* settings, plus the two URLs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HZ45_") and k not in ("DATABASE_URL", "REDIS_URL")}
    return env | {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "PYTHONUNBUFFERED": "1"}


class Services:
    """Children in process groups of their own, each ended with its whole group."""

    def __init__(self, env: dict[str, str], run_dir: Path) -> None:
        self.env, self.run_dir = env, run_dir
        self.running: dict[str, subprocess.Popen] = {}

    def run(self, *args: str, prefix: str = "[setup]") -> None:
        """Run ``hz45 ARGS`` to completion, echoing its output line by line."""
        started = time.monotonic()
        print(f"{prefix} hz45 {' '.join(args)} ...", flush=True)
        proc = self._popen("setup", [HZ45, *args], stdout=subprocess.PIPE)
        for line in proc.stdout:
            print(f"{prefix}   {line.rstrip()}", flush=True)
        if proc.wait() != 0:
            raise SystemExit(f"hz45 {' '.join(args)} failed with exit status {proc.returncode}")
        del self.running["setup"]
        print(f"{prefix} hz45 {args[0]} done in {time.monotonic() - started:.1f} s", flush=True)

    def python(self, code: str) -> str:
        """Run a snippet in the project's Python; returns its output."""
        proc = self._popen("setup", [sys.executable, "-c", code], stdout=subprocess.PIPE)
        out = proc.stdout.read()
        if proc.wait() != 0:
            raise SystemExit(f"{code!r} failed with exit status {proc.returncode}")
        del self.running["setup"]
        return out.strip()

    def start(self, name: str, *args: str) -> subprocess.Popen:
        """Start ``hz45 ARGS`` in the background, its output in ``RUN_DIR/NAME.log``."""
        log = open(self.run_dir / f"{name}.log", "w")  # noqa: SIM115 - the child holds it
        return self._popen(name, [HZ45, *args], stdout=log)

    def _popen(self, name: str, argv: list[str], stdout) -> subprocess.Popen:
        proc = subprocess.Popen(argv, cwd=self.run_dir, env=self.env, stdout=stdout, stderr=subprocess.STDOUT,
                                text=True, start_new_session=True)
        self.running[name] = proc
        return proc

    def exited(self) -> dict[str, int]:
        """Background services that have stopped, with their exit status."""
        return {name: p.returncode for name, p in self.running.items() if p.poll() is not None}

    def stop_all(self, grace_s: float = 15) -> None:
        """Ask every group to stop (SIGINT for uvicorn, SIGTERM for the rest), then kill what is left."""
        for name, proc in self.running.items():
            _signal_group(proc, signal.SIGINT if name == "serve" else signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        for proc in self.running.values():
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            _signal_group(proc, signal.SIGKILL)  # also any grandchild left behind (workers, work-horses)
        self.running.clear()


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def serve_workers(serve_pid: int) -> list[psutil.Process]:
    """The uvicorn worker processes under ``hz45 serve`` (spawned children, not the supervisor)."""
    try:
        children = psutil.Process(serve_pid).children()
    except psutil.NoSuchProcess:
        return []
    workers = []
    for child in children:
        try:
            if any("spawn_main" in part for part in child.cmdline()):
                workers.append(child)
        except psutil.NoSuchProcess:
            pass
    return workers


def worker_rss_mib(serve_pid: int) -> dict[int, float]:
    """Resident memory of each uvicorn worker, by pid, in MiB."""
    rss = {}
    for proc in serve_workers(serve_pid):
        try:
            rss[proc.pid] = proc.memory_info().rss / MIB
        except psutil.NoSuchProcess:
            pass
    return rss
