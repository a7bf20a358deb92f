"""The hz45 command line: migrate, seed-demo, import-csv, help and one-line failures."""

from __future__ import annotations

import sqlalchemy as sa
from click.testing import CliRunner

from domain.catalog.tables import Track
from domain.db import create_db_engine
from hz45.cli import main
from tests.jobs.test_import_csv import small_csv  # noqa: F401  (fixture)


def run(*args, env=None):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_help_lists_the_commands():
    result = run("--help")
    assert result.exit_code == 0
    for name in ("migrate", "serve", "demo", "seed-demo", "import-csv"):
        assert name in result.output


def test_migrate_seed_and_import(tmp_path, small_csv):  # noqa: F811
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
