"""The README's example queries return data on the demo as ``hz45 demo`` starts it (the default
demo data, the engines trained before serving), and the README shows no example that is not run here.

Dates in myStats examples are the demo's: the test fills in the days of its own history.
"""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

import api.charts.queries
import api.stats.queries
from domain.db import create_db_engine
from domain.jobs import queues
from domain.settings import AuthSettings
from hz45.commands import demo_steps
from jobs.demo_data import DemoConfig
from tests.hz45.test_demo_start import _no_configured_services
from tests.support.accounts import FAST_AUTH, LOG_IN
from tests.support.graphql import graphql_client
from tests.support.settings import make_settings

README = Path(__file__).resolve().parents[2] / "README.md"
NOW = datetime.now(UTC).replace(microsecond=0)
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

# (query, the dotted path under "data" that must not be empty); {from} and {to} are dates.
ANONYMOUS = [
    ('{ tracks(search: "midnight echo", first: 5) { edges { node { name artists { name } genres } } } }',
     "tracks.edges"),
    ('{ tracks(genre: "k-pop", first: 10) { totalCount edges { cursor node { name popularity } } '
     'pageInfo { endCursor hasNextPage } } }', "tracks.edges"),
    ("{ genres { name trackCount } }", "genres"),
    ("{ engines { name status activeModel { version metrics } } }", "engines"),
    ('{ similarTracks(trackId: "42", k: 5) { score engine track { name genres } } }', "similarTracks"),
    ("{ chart(kind: TOP50) { day entries { rank track { name artists { name } } } } }", "chart.entries"),
    ("{ overallStats { plays activeUsers playsByGenre { genre plays } topTracks { plays track { name } } } }",
     "overallStats.topTracks"),
]
SIGNED_IN = [
    ('mutation { addToPlaylist(trackId: "42", rating: 5) { name items { edges { node { rating track { name } } } } } }',
     "addToPlaylist.items.edges"),
    ("{ recommendations(k: 10) { mixId items { score reason track { name } contributions { engine score } } } }",
     "recommendations.items"),
    ('mutation { recordPlay(trackId: "42", source: "recommendation:default") { id playedAt } }', "recordPlay.id"),
    ("{ chart(kind: REALTIME) { windowStart entries { rank plays track { name } } } }", "chart.entries"),
    ('{ myStats(from: "{from}", to: "{to}") { plays daysActive topGenres { genre plays } playsPerHour } }',
     "myStats.topGenres"),
    ('{ radio(seedTrackId: "42", k: 15, adventurous: MEDIUM) { mixId items { reason track { name audioFeatures { tempo } } } } }',
     "radio.items"),
    ("{ similarUsers(k: 5) { similarity sharedArtists user { nickname } } }", "similarUsers"),
    ("{ myListening(range: ALL_TIME) { plays granularity activity { start plays } "
     "topArtists(first: 5) { edges { node { plays artist { name } } } } } }", "myListening.topArtists.edges"),
]
LOG_IN_EXAMPLE = 'mutation { logIn(nickname: "demo", password: "listen-at-4.5Hz") { token user { nickname ageGroup } } }'


@pytest.fixture(scope="module")
def demo_client(tmp_path_factory, sqlite_template):
    """A client of the default demo after its start-up steps, its clock at the start."""
    folder = tmp_path_factory.mktemp("demo-examples")
    shutil.copy(sqlite_template, folder / "demo.db")
    url = f"sqlite:///{folder / 'demo.db'}"
    engine = create_db_engine(url)
    with pytest.MonkeyPatch.context() as patch:
        _no_configured_services(patch)
        patch.setattr(queues, "enqueue", lambda *args, **kwargs: SimpleNamespace(id="background"))
        settings = make_settings(url, folder, auth=AuthSettings(**FAST_AUTH))
        settings = demo_steps.prepare_demo(settings, engine, echo=lambda line: None,
                                           config=DemoConfig(demo_listener=True), now=NOW)
        demo_steps.train_for_demo(settings, engine, echo=lambda line: None)
        for module in (api.charts.queries, api.stats.queries):
            patch.setattr(module, "utcnow", lambda: NOW)
        with graphql_client(settings) as client:
            yield client
    engine.dispose()


def dig(data: dict, path: str):
    for key in path.split("."):
        data = data[key]
    return data


def ask(client, query: str, path: str, token: str | None = None):
    dates = {"{from}": (NOW - timedelta(days=DemoConfig.days_of_plays)).date().isoformat(),
             "{to}": NOW.date().isoformat()}
    for placeholder, value in dates.items():
        query = query.replace(placeholder, value)
    body = client.gql(query, token=token)
    assert "errors" not in body, (query, body["errors"])
    value = dig(body["data"], path)
    assert value, (query, body["data"])
    return value


@pytest.mark.parametrize(("query", "path"), ANONYMOUS)
def test_anonymous_examples_return_data(demo_client, query, path):
    ask(demo_client, query, path)


def test_signed_in_examples_return_data(demo_client):
    token = ask(demo_client, LOG_IN_EXAMPLE, "logIn.token")
    assert demo_client.gql(LOG_IN, nickname="demo", password="listen-at-4.5Hz")["data"]["logIn"]["token"]
    for query, path in SIGNED_IN:
        ask(demo_client, query, path, token)


def readme_examples() -> list[str]:
    """Every line of the README's graphql blocks, dates replaced by the placeholders."""
    blocks = re.findall(r"```graphql\n(.*?)```", README.read_text(), flags=re.S)
    lines = [line.strip() for block in blocks for line in block.splitlines() if line.strip()]
    normalised = []
    for line in lines:
        found = DATE.findall(line)
        for placeholder, value in zip(("{from}", "{to}"), found, strict=False):
            line = line.replace(value, placeholder, 1)
        normalised.append(line)
    return normalised


def test_every_readme_example_is_one_this_test_runs():
    tested = [q for q, _ in ANONYMOUS] + [LOG_IN_EXAMPLE] + [q for q, _ in SIGNED_IN]
    untested = [line for line in readme_examples() if line not in tested]
    assert not untested, f"README examples this test does not run on the demo: {untested}"
