"""Seconds from `bash scripts/demo.sh` to the demo's first answer, on a fresh copy and on later starts.

    .venv/bin/python bench/demo_start.py [--later-starts 3] [--port 8765] [--keep]

The committed tree (``git archive HEAD``) is unpacked into a scratch folder, so the run has no
``.venv`` and no database: the first start installs, migrates, seeds and trains as a new
user's does. Each later start reuses that folder (the install is skipped, the data is there).
A start ends when the README's first example (``tracks(search: "midnight echo")``) answers
with tracks; the seconds at which each progress line appeared are printed as they come.
pip's download cache is the machine's: on a machine that never installed 4.5Hz, downloads add
to the first start.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRST_EXAMPLE = '{ tracks(search: "midnight echo", first: 5) { edges { node { name } } } }'
START_LIMIT_S = 900


def unpack_head(into: Path) -> None:
    """The committed tree of this repository, without build outputs."""
    archive = subprocess.run(["git", "archive", "HEAD"], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)


def answers(port: int) -> bool:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", json.dumps({"query": FIRST_EXAMPLE}).encode(),
                                     {"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            edges = json.load(response)["data"]["tracks"]["edges"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return bool(edges)


def start_once(folder: Path, port: int, label: str) -> float:
    """Run the demo in ``folder`` until its first answer; stop it; return the seconds it took."""
    started = time.monotonic()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(["bash", "scripts/demo.sh", "--port", str(port)], cwd=folder, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)

    def echo() -> None:
        for line in process.stdout:
            print(f"  [{label} {time.monotonic() - started:6.1f} s] {line.rstrip()}", flush=True)

    threading.Thread(target=echo, daemon=True).start()
    try:
        while not answers(port):
            if process.poll() is not None:
                raise SystemExit(f"{label}: the demo exited with status {process.returncode} before answering")
            if time.monotonic() - started > START_LIMIT_S:
                raise SystemExit(f"{label}: no answer after {START_LIMIT_S} s")
            time.sleep(0.5)
        return time.monotonic() - started
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--later-starts", type=int, default=3)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder (printed)")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="hz45-demo-start-"))
    unpack_head(folder)
    print(f"fresh copy of HEAD in {folder}", flush=True)
    first = start_once(folder, args.port, "first")
    later = [start_once(folder, args.port, f"later {i + 1}") for i in range(args.later_starts)]
    print(f"first start (install, seed, train the quick engines): {first:.1f} s to the first answer")
    if later:
        print(f"later starts: median {statistics.median(later):.1f} s "
              f"({', '.join(f'{s:.1f}' for s in later)})")
    if not args.keep:
        subprocess.run(["rm", "-rf", str(folder)], check=True)


if __name__ == "__main__":
    sys.exit(main())
