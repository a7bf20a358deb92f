"""CPU time of ``hz45 --help`` and ``hz45 COMMAND --help`` for every command, in fresh processes.

    .venv/bin/python bench/cli_startup.py [--repeats 5] [--hz45 PATH]

Each invocation runs in its own subprocess; its CPU time (user + system, from the children's
resource usage) is measured, and the median over repeats is reported per command. The budget
is 0.5 s of CPU each.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import click

from hz45.cli import main as cli

BUDGET_S = 0.5


def children_cpu() -> float:
    """User + system CPU seconds of the terminated children of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cpu_of(argv: list[str]) -> float:
    """CPU seconds one run of ``argv`` took; fails loudly when it exits non-zero."""
    before = children_cpu()
    subprocess.run(argv, cwd=ROOT, stdout=subprocess.DEVNULL, check=True)
    return children_cpu() - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--hz45", default=str(Path(sys.executable).parent / "hz45"),
                        help="The hz45 executable (default: the one next to this Python).")
    args = parser.parse_args()
    cases = [[]] + [[name] for name in cli.list_commands(click.Context(cli))]
    medians = {}
    for case in cases:
        label = " ".join(["hz45", *case, "--help"])
        times = []
        for run in range(1, args.repeats + 1):
            times.append(cpu_of([args.hz45, *case, "--help"]))
            print(f"  {label}: run {run}/{args.repeats} {times[-1]:.3f} s", flush=True)
        medians[label] = statistics.median(times)
        print(f"{label:<30} median {medians[label]:.3f} s CPU", flush=True)
    worst = max(medians, key=medians.get)
    print(f"\n{len(medians)} invocations x {args.repeats}; slowest median: {worst} {medians[worst]:.3f} s "
          f"({'within' if medians[worst] < BUDGET_S else 'over'} the {BUDGET_S} s budget)")


if __name__ == "__main__":
    main()
