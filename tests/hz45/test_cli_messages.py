"""Failures of the command line are one line that says what to do, with a non-zero exit code;
seed-demo creates and prints the demo logins."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from domain.accounts.demo_logins import DEMO_ADMIN, DEMO_USER
from domain.accounts.passwords import verify_password
from domain.accounts.tables import User
from domain.db import create_db_engine
from domain.plays.tables import PlayEvent
from domain.settings import AuthSettings
from hz45.cli import main
from tests.support.accounts import FAST_AUTH

ROOT_README = Path(__file__).resolve().parents[2] / "README.md"


def run(*args, **env):
    return CliRunner().invoke(main, list(args), env={"REDIS_URL": None, "HZ45_CONFIG": None, **env})


def one_line(result) -> str:
    [line] = result.output.strip().splitlines()
    return line


def test_a_file_that_is_no_tracks_csv_is_refused_in_one_line(sqlite_url):
    result = run("import-csv", str(ROOT_README), DATABASE_URL=sqlite_url)
    assert result.exit_code == 1
    line = one_line(result)
    assert "README.md is not a Spotify tracks CSV" in line and "track_id" in line
    assert "ParserError" not in line and "Traceback" not in result.output


def test_a_binary_file_is_refused_in_one_line(sqlite_url, tmp_path):
    path = tmp_path / "tracks.csv"
    path.write_bytes(b"\xff\xfe\x00\x01" * 100)
    result = run("import-csv", str(path), DATABASE_URL=sqlite_url)
    assert result.exit_code == 1 and "is not a Spotify tracks CSV" in one_line(result)


def test_unknown_genres_are_named_with_the_known_ones(sqlite_url, small_csv):
    result = run("import-csv", str(small_csv), "--genres", "pop,nosuchgenre", DATABASE_URL=sqlite_url)
    assert result.exit_code == 1
    assert one_line(result) == "Error: unknown genres nosuchgenre; the file lists 3: acoustic, pop, rock"
    engine = create_db_engine(sqlite_url)
    with engine.connect() as conn:  # nothing was imported
        assert conn.execute(sa.text("select count(*) from track")).scalar() == 0
    engine.dispose()


def test_a_file_whose_rows_are_all_dropped_is_an_error(sqlite_url, tmp_path):
    from tests.support.tracks_csv import HEADER

    path = tmp_path / "empty.csv"
    path.write_text(",".join(HEADER) + "\n")
    result = run("import-csv", str(path), DATABASE_URL=sqlite_url)
    assert result.exit_code == 1 and "no track of" in one_line(result) and "nothing was imported" in result.output


@pytest.mark.parametrize(("url", "expected"), [
    ("not a url", "is not a database URL 4.5Hz can use: set it to sqlite:///PATH or postgresql+psycopg://"),
    ("mysql://app:secret@db/hz45", "DATABASE_URL mysql://app:***@db/hz45 is not supported"),
    ("nosuch://db/hz45", "DATABASE_URL nosuch://db/hz45 is not supported"),
    ("postgresql+psycopg://app:secret@127.0.0.1:1/hz45",
     "cannot reach the database at postgresql+psycopg://app:***@127.0.0.1:1/hz45 (Connection refused): "
     "start the server or fix DATABASE_URL"),
    ("sqlite:///{tmp}/no/such/folder/hz45.db",
     "cannot open the SQLite database {tmp}/no/such/folder/hz45.db: its folder must exist and be writable"),
])
@pytest.mark.parametrize("command", [["migrate"], ["seed-demo"], ["serve"], ["import-csv", "{csv}"], ["train", "svd"]])
def test_database_url_problems_say_what_to_do(tmp_path, small_csv, url, expected, command):
    url, expected = url.format(tmp=tmp_path), expected.format(tmp=tmp_path)
    result = run(*(a.format(csv=small_csv) for a in command), DATABASE_URL=url)
    assert result.exit_code == 1, result.output
    line = one_line(result)
    assert expected in line, line
    assert "secret" not in line
    for class_name in ("OperationalError", "ArgumentError", "NoSuchModuleError", "ModuleNotFoundError"):
        assert class_name not in line


def test_a_database_without_tables_asks_for_a_migration(tmp_path):
    result = run("seed-demo", "--users", "5", "--tracks", "20", DATABASE_URL=f"sqlite:///{tmp_path}/new.db")
    assert result.exit_code == 1
    assert one_line(result).endswith("has no 4.5Hz tables: run hz45 migrate")


def test_seed_demo_creates_and_prints_the_demo_logins(sqlite_url):
    auth = {f"HZ45_AUTH__{k.upper()}": str(v) for k, v in FAST_AUTH.items()}
    result = run("seed-demo", "--users", "30", "--tracks", "120", DATABASE_URL=sqlite_url, **auth)
    assert result.exit_code == 0, result.output
    assert f"{DEMO_USER.nickname} / {DEMO_USER.password}" in result.output
    assert f"{DEMO_ADMIN.nickname} / {DEMO_ADMIN.password}" in result.output
    engine = create_db_engine(sqlite_url)
    with engine.connect() as conn:
        users = {u.nickname: u for u in conn.execute(sa.select(User)).all()}
        demo_plays = conn.execute(sa.select(sa.func.count()).select_from(PlayEvent)
                                  .where(PlayEvent.user_id == users[DEMO_USER.nickname].id)).scalar()
    engine.dispose()
    for login in (DEMO_USER, DEMO_ADMIN):
        assert verify_password(users[login.nickname].password_hash, login.password, AuthSettings(**FAST_AUTH))
    assert users[DEMO_ADMIN.nickname].is_admin and not users[DEMO_USER.nickname].is_admin
    assert demo_plays > 0  # the demo listener has a history of its own
