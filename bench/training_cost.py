"""Training cost of every engine, and an API process's memory, at shares of the deck scale.

For each ``--fractions`` share, seeds ``hz45 seed-demo --scale deck --fraction F`` into a
scratch PostgreSQL database, then trains each engine with its own ``hz45 train --force ENGINE``
(the learned mix last: it needs its members), timing each with ``/usr/bin/time`` (wall clock
and peak resident memory of the training process). Then starts ``hz45 serve`` with every model
loaded and reads its resident memory once it is ready. Default settings throughout.

    .venv/bin/python bench/training_cost.py [--fractions 0.1,0.3,1] [--engines als,ease] [--json out.json] [--keep]
        [--seeded-url URL --fractions F]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.support.scratch_db import scratch_database  # noqa: E402

HZ45 = str(Path(sys.executable).with_name("hz45"))
ENGINES = ["demographic_popular", "content_gmm", "item_knn", "als", "ease", "svd", "ncf", "learned"]


def environment(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HZ45_") and k not in ("DATABASE_URL", "REDIS_URL")}
    return env | {"DATABASE_URL": url, "HZ45_EVENT_LOG_PATH": os.devnull, "PYTHONUNBUFFERED": "1"}


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Run ``argv`` under ``/usr/bin/time``; its wall seconds and peak resident MiB."""
    result = subprocess.run(["/usr/bin/time", "-f", "@@ %e %M", *argv], env=env, cwd=ROOT,
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{result.stderr[-2000:]}")
    line = [ln for ln in result.stderr.splitlines() if ln.startswith("@@ ")][-1]
    seconds, kib = line.split()[1:]
    return float(seconds), int(kib) / 1024


def serving_rss(env: dict[str, str]) -> float:
    """Resident MiB of one ``hz45 serve`` process once every active model is loaded."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen([HZ45, "serve", "--port", str(port)], env=env, cwd=ROOT, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=10) as response:
                    if response.status == 200:
                        return psutil.Process(server.pid).memory_info().rss / 2**20
            except OSError:
                time.sleep(1)
        raise SystemExit("hz45 serve did not become ready")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(60)


def measure(admin_url: str, fraction: float, engines: list[str], keep: bool = False,
            seeded_url: str | None = None) -> dict:
    rows: dict[str, dict] = {}
    with contextlib.ExitStack() as stack:
        if seeded_url:
            url = seeded_url
            print(f"[{fraction:g}] reusing the seeded database {url}", flush=True)
        else:
            url = stack.enter_context(scratch_database(admin_url, "hz45_train_cost", keep=keep))
        env = environment(url)
        if not seeded_url:
            if keep:
                print(f"[{fraction:g}] database kept afterwards: {url}", flush=True)
            print(f"[{fraction:g}] seeding the deck scale at {fraction:g} ...", flush=True)
            seconds, _ = timed([HZ45, "seed-demo", "--scale", "deck", "--fraction", str(fraction)], env)
            print(f"[{fraction:g}] seeded in {seconds:.0f} s", flush=True)
        for name in engines:
            print(f"[{fraction:g}] training {name} ...", flush=True)
            seconds, peak = timed([HZ45, "train", "--quiet", "--force", name], env)
            rows[name] = {"seconds": round(seconds, 1), "peak_mib": round(peak)}
            print(f"[{fraction:g}] {name}: {seconds:.1f} s, peak {peak:.0f} MiB", flush=True)
        rss = serving_rss(env)
        print(f"[{fraction:g}] one API process with every model loaded: {rss:.0f} MiB", flush=True)
    return {"fraction": fraction, "engines": rows, "api_rss_mib": round(rss)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fractions", default="0.1,0.3,1")
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                        help="a database on the server to use (scratch databases are created beside it)")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--keep", action="store_true",
                        help="keep the seeded and trained databases (e.g. for bench/load.py --skip-setup)")
    parser.add_argument("--seeded-url", help="train on this already seeded database (one fraction) instead of seeding one")
    args = parser.parse_args()
    engines = args.engines.split(",")
    fractions = [float(f) for f in args.fractions.split(",")]
    if args.seeded_url and len(fractions) != 1:
        parser.error("--seeded-url takes one fraction: the one it was seeded at")
    results = [measure(args.url, f, engines, args.keep, args.seeded_url) for f in fractions]
    print("\n| engine | " + " | ".join(f"{r['fraction']:g}: s / peak MiB" for r in results) + " |")
    print("| --- |" + " ---: |" * len(results))
    for name in engines:
        cells = [f"{r['engines'][name]['seconds']} / {r['engines'][name]['peak_mib']}" for r in results]
        print(f"| `{name}` | " + " | ".join(cells) + " |")
    print("| API process, every model loaded (MiB) | " + " | ".join(str(r["api_rss_mib"]) for r in results) + " |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
