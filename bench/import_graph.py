"""Count the project's imports between top-level packages (the layers).

    python bench/import_graph.py [--root .] [--json]

Every ``import``/``from ... import`` of a project module, at any depth in a function, is
one edge from the importing file's package to the imported one. Prints a matrix of counts.
"""

from __future__ import annotations

import argparse
import ast
import json
from collections import Counter
from pathlib import Path

SKIP = {"tests", "alembic", ".venv", "build", "docs", "scripts"}


def project_packages(root: Path) -> set[str]:
    """Top-level folders of ``root`` that are Python packages."""
    return {
        p.name for p in root.iterdir()
        if p.is_dir() and (p / "__init__.py").exists() and p.name not in SKIP
    } | {p.name for p in root.iterdir() if p.is_dir() and p.name == "bench"}


def edges(root: Path) -> Counter[tuple[str, str]]:
    """``(from_package, to_package) -> number of import statements``."""
    packages = project_packages(root)
    counts: Counter[tuple[str, str]] = Counter()
    for package in sorted(packages):
        for path in (root / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    target = name.split(".")[0]
                    if target in packages and target != package:
                        counts[(package, target)] += 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    counts = edges(args.root)
    if args.json:
        print(json.dumps({f"{a} -> {b}": n for (a, b), n in sorted(counts.items())}))
        return
    for (source, target), n in sorted(counts.items()):
        print(f"{source:>8} -> {target:<8} {n:4d}")


if __name__ == "__main__":
    main()
