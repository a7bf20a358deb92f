"""The hz45 command line: migrate, seed-demo, import-csv, help, lazy loading and one-line failures."""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import click
import sqlalchemy as sa
from click.testing import CliRunner

import hz45.commands
from domain.accounts.users import Gender
from domain.catalog.tables import Track
from domain.db import create_db_engine
from domain.jobs import worker as workers
from hz45.cli import main
from hz45.commands import create_user, seed_demo, worker
from jobs.demo_data import DemoConfig

ROOT = Path(__file__).resolve().parents[2]
# What the help of the command line must not import (the application and its big libraries).
HEAVY = {"api", "domain", "jobs", "engines", "plugins", "torch", "lightning", "strawberry", "starlette",
         "uvicorn", "sqlalchemy", "sqlmodel", "alembic", "pandas", "numpy", "sklearn", "surprise",
         "pydantic", "pydantic_settings", "redis", "rq", "spotipy", "httpx"}
# Shows the group's help and every command's, then prints the heavy modules it imported.
HELP_SCRIPT = """
import json, sys
import click
from click.testing import CliRunner
from hz45.cli import main

heavy = set(json.loads(sys.argv[1]))
names = main.list_commands(click.Context(main))
for args in (["--help"], *([name, "--help"] for name in names)):
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, (args, result.output)
print(json.dumps({"commands": names,
                  "heavy": sorted(m for m in sys.modules if m.split(".")[0] in heavy)}))
"""


def run(*args, env=None):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_help_lists_the_commands():
    result = run("--help")
    assert result.exit_code == 0
    for name in ("migrate", "serve", "demo", "seed-demo", "import-csv"):
        assert name in result.output


def test_migrate_seed_and_import(tmp_path, small_csv):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/cli.db"}
    assert run("migrate", env=env).exit_code == 0
    seeded = run("seed-demo", "--users", "50", "--tracks", "200", env=env)
    assert seeded.exit_code == 0 and "200 tracks" in seeded.output
    again = run("seed-demo", env=env)
    assert again.exit_code == 1 and "empty" in again.output
    imported = run("import-csv", str(small_csv), env=env)
    assert imported.exit_code == 0 and "tracks kept" in imported.output
    engine = create_db_engine(env["DATABASE_URL"])
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(Track)).scalar() == 240
    engine.dispose()


def test_failure_is_one_line_and_non_zero(tmp_path):
    result = CliRunner().invoke(main, ["migrate"], env={"DATABASE_URL": f"sqlite:///{tmp_path}/no/such/dir.db"})
    assert result.exit_code == 1
    assert result.output.startswith("error: ") and result.output.count("\n") == 1


def test_import_csv_missing_file():
    result = CliRunner().invoke(main, ["import-csv", "/no/such/file.csv"])
    assert result.exit_code == 2 and "does not exist" in result.output


def test_help_imports_nothing_heavy():
    out = subprocess.run([sys.executable, "-c", HELP_SCRIPT, json.dumps(sorted(HEAVY))], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    report = json.loads(out.stdout)
    assert len(report["commands"]) >= 13
    assert report["heavy"] == []


def test_every_command_module_defines_its_command():
    ctx = click.Context(main)
    modules = [m.name for m in pkgutil.iter_modules(hz45.commands.__path__) if m.name not in hz45.commands.HELPERS]
    for module in modules:
        command = importlib.import_module(f"hz45.commands.{module}").command
        assert isinstance(command, click.Command) and command.name == module.replace("_", "-")
        assert main.get_command(ctx, command.name) is command
    assert main.list_commands(ctx) == sorted(m.replace("_", "-") for m in modules)
    for name in ("seed_demo", "common", "offline", "nonsense"):
        assert main.get_command(ctx, name) is None


def test_unknown_command_suggests_close_names():
    result = CliRunner().invoke(main, ["trian"])
    assert result.exit_code == 2 and "Did you mean 'train'?" in result.output


def test_option_values_repeated_for_a_light_help_match_their_source():
    assert create_user.GENDERS == tuple(g.value for g in Gender)
    defaults = {f.name: f.default for f in fields(DemoConfig)}
    assert (seed_demo.USERS, seed_demo.TRACKS, seed_demo.SEED) == (defaults["users"], defaults["tracks"], defaults["seed"])
    assert (worker.HEARTBEAT_SECONDS, worker.MISSED_BEATS) == (workers.HEARTBEAT_SECONDS, workers.MISSED_BEATS)
