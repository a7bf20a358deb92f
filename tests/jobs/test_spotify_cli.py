"""``hz45 ingest`` and ``hz45 import-top50`` end to end against the fake Web API."""

from __future__ import annotations

import sqlalchemy as sa
from click.testing import CliRunner

from domain.db import create_db_engine
from hz45.cli import main
from jobs.spotify.fake_api import TOP50_PLAYLIST_ID
from tests.support.spotify import snapshot, spotify_env


def hz45(db_url, fake, *args, **env_overrides):
    env = {"DATABASE_URL": db_url, "SPOTIPY_CLIENT_ID": None, "SPOTIPY_CLIENT_SECRET": None,
           "HZ45_CONFIG": None, **spotify_env(fake), **env_overrides}
    return CliRunner().invoke(main, list(args), env=env)


def count(url: str, sql: str) -> int:
    engine = create_db_engine(url)
    with engine.connect() as conn:
        value = conn.execute(sa.text(sql)).scalar()
    engine.dispose()
    return value


def report_value(output: str, name: str) -> str:
    """The value printed on the report line ``name``."""
    line = next(line for line in output.splitlines() if line.startswith(name + "  "))
    return line[len(name):].strip()


def test_help_documents_the_options():
    ingest = CliRunner().invoke(main, ["ingest", "--help"])
    assert ingest.exit_code == 0 and "--genres" in ingest.output and "--limit" in ingest.output
    top50 = CliRunner().invoke(main, ["import-top50", "--help"])
    assert top50.exit_code == 0 and "--day" in top50.output and "--playlist" in top50.output


def test_ingest_command(db_url, fake_spotify):
    fake_spotify.max_page_size = 2
    result = hz45(db_url, fake_spotify, "ingest", "--genres", "k-pop, pop", "--limit", "5")
    assert result.exit_code == 0, result.output
    genres = fake_spotify.catalog.genre_tracks
    expected = len(set(genres["k-pop"][:5]) | set(genres["pop"][:5]))
    assert report_value(result.output, "tracks inserted") == str(expected)
    assert count(db_url, "select count(*) from track") == expected
    again = hz45(db_url, fake_spotify, "ingest", "--genres", "k-pop,pop", "--limit", "5")
    assert report_value(again.output, "tracks inserted") == "0"
    assert report_value(again.output, "tracks updated") == str(expected)
    assert count(db_url, "select count(*) from track") == expected


def test_import_top50_command(db_url, fake_spotify):
    result = hz45(db_url, fake_spotify, "import-top50", "--day", "2024-05-01")
    assert result.exit_code == 0, result.output
    assert report_value(result.output, "ranks") == "50"
    assert report_value(result.output, "playlist") == TOP50_PLAYLIST_ID
    assert count(db_url, "select count(*) from chart_top50 where rank between 1 and 50") == 50
    assert hz45(db_url, fake_spotify, "import-top50", "--day", "2024-05-01").exit_code == 0
    assert count(db_url, "select count(*) from chart_top50") == 50


def test_failures_are_one_line_and_change_nothing(db_url, fake_spotify):
    assert hz45(db_url, fake_spotify, "import-top50", "--day", "2024-05-01").exit_code == 0
    before = snapshot(db_url)
    failures = [
        (hz45(db_url, fake_spotify, "import-top50", "--day", "2024-05-01", "--playlist",
              "0000000000000000000000"), "not found"),
        (hz45(db_url, fake_spotify, "ingest", HZ45_SPOTIFY__CLIENT_ID=None), "credentials are missing"),
        (hz45(db_url, fake_spotify, "import-top50", "--day", "2024-05-01",
              HZ45_SPOTIFY__CLIENT_SECRET="wrong"), "rejected the client credentials"),
    ]
    for result, reason in failures:
        assert result.exit_code == 1
        assert result.output.startswith("Error: ") and result.output.count("\n") == 1, result.output
        assert reason in result.output
    assert snapshot(db_url) == before


def test_bad_day_is_a_usage_error(sqlite_url, fake_spotify):
    result = hz45(sqlite_url, fake_spotify, "import-top50", "--day", "01/05/2024")
    assert result.exit_code == 2 and "Invalid value for '--day'" in result.output
    assert fake_spotify.requests == []
