"""Catalog queries on SQLite and PostgreSQL: lookup, search, genre browse, pagination, errors."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.support.catalog import FEATURES, load_known_catalog
from tests.support.graphql import error_codes, graphql_client
from tests.support.settings import make_settings

TRACKS = """
query($search: String, $genre: String, $first: Int, $after: String) {
  tracks(search: $search, genre: $genre, first: $first, after: $after) {
    totalCount
    edges { cursor node { id name popularity artists { name } genres primaryGenre } }
    pageInfo { hasNextPage hasPreviousPage endCursor }
  }
}
"""


@pytest.fixture
def client(db_url, db_engine, tmp_path):
    load_known_catalog(db_engine)
    with graphql_client(make_settings(db_url, tmp_path)) as client:
        yield client


def names(body: dict) -> list[str]:
    return [e["node"]["name"] for e in body["data"]["tracks"]["edges"]]


def test_search_iu_finds_iu_tracks_only(client):
    body = client.gql(TRACKS, search="iu")
    assert names(body) == ["eight (Prod.&Feat. SUGA of BTS)", "Blueming", "Through the Night"]


@pytest.mark.parametrize("query", ["iu eight", "IU EIGHT", "eight iu", "  iu   eig "])
def test_search_every_token_must_match_name_or_artist(client, query):
    assert names(client.gql(TRACKS, search=query)) == ["eight (Prod.&Feat. SUGA of BTS)"]


def test_search_matches_any_credited_artist(client):
    assert names(client.gql(TRACKS, search="suga")) == ["eight (Prod.&Feat. SUGA of BTS)"]
    assert names(client.gql(TRACKS, search="kiuas eight")) == ["Kiuas Eight"]
    assert names(client.gql(TRACKS, search="nothing-like-this")) == []


def test_genre_browse_lists_every_listed_genre_by_popularity(client):
    pop = client.gql(TRACKS, genre="pop", first=3)
    # "eight" is primarily k-pop but also listed under pop, so browsing pop finds it first.
    assert names(pop) == ["eight (Prod.&Feat. SUGA of BTS)", "Filler Song 29", "Filler Song 28"]
    assert pop["data"]["tracks"]["totalCount"] == 31
    first = pop["data"]["tracks"]["edges"][0]["node"]
    assert first["genres"] == ["k-pop", "pop"] and first["primaryGenre"] == "k-pop"


def test_pagination_walks_every_track_once(client):
    seen, after, pages = [], None, 0
    while True:
        body = client.gql(TRACKS, first=7, after=after)
        connection = body["data"]["tracks"]
        seen += [e["node"]["id"] for e in connection["edges"]]
        pages += 1
        assert connection["pageInfo"]["hasPreviousPage"] == (after is not None)
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == 34
    assert pages == 5
    popularity = [e["node"]["popularity"] for e in client.gql(TRACKS, first=34)["data"]["tracks"]["edges"]]
    assert popularity == sorted(popularity, reverse=True)


def test_genres_with_counts(client):
    body = client.gql("{ genres { name trackCount } }")
    assert body["data"]["genres"] == [
        {"name": "pop", "trackCount": 31}, {"name": "k-pop", "trackCount": 3}, {"name": "rock", "trackCount": 1},
    ]


def test_track_and_artist_lookup(client):
    body = client.gql('{ track(id: "7xX8HM7CGRcfqzWoiaPZs0") { id name artists { name } audioFeatures { tempo } } }')
    track = body["data"]["track"]
    assert track["name"].startswith("eight") and [a["name"] for a in track["artists"]] == ["IU", "SUGA"]
    assert track["audioFeatures"]["tempo"] == 120.0
    same = client.gql("query($id: ID!) { track(id: $id) { name } }", id=track["id"])
    assert same["data"]["track"]["name"] == track["name"]
    artist = client.gql('{ artist(id: "3HqSLMAZ3g3d5poNaI7GOU") { name followers tracks(first: 2) { edges { node { name } } } } }')
    assert artist["data"]["artist"]["name"] == "IU"
    assert [e["node"]["name"] for e in artist["data"]["artist"]["tracks"]["edges"]] == [
        "eight (Prod.&Feat. SUGA of BTS)", "Blueming"]
    no_features = client.gql('{ track(id: "0OqTfHXO5mMKWbzPmyL0nm") { audioFeatures { tempo } } }')
    assert no_features["data"]["track"]["audioFeatures"] is None


@pytest.mark.parametrize(
    ("query", "variables", "code"),
    [
        (TRACKS, {"first": -1}, "BAD_USER_INPUT"),
        (TRACKS, {"first": 0}, "BAD_USER_INPUT"),
        (TRACKS, {"first": 100000}, "BAD_USER_INPUT"),
        (TRACKS, {"after": "not-a-cursor"}, "BAD_USER_INPUT"),
        (TRACKS, {"after": "WyJhIiwgMV0="}, "BAD_USER_INPUT"),  # valid base64 of ["a", 1]
        (TRACKS, {"genre": "no-such-genre"}, "NOT_FOUND"),
        ('{ track(id: "999999") { name } }', {}, "NOT_FOUND"),
        ('{ track(id: "../../etc") { name } }', {}, "NOT_FOUND"),
        ('{ artist(id: "nobody") { name } }', {}, "NOT_FOUND"),
        ("{ tracks(first: \"x\") { totalCount } }", {}, "GRAPHQL_VALIDATION_FAILED"),
        ("{ nope }", {}, "GRAPHQL_VALIDATION_FAILED"),
        ("{ tracks { ", {}, "GRAPHQL_VALIDATION_FAILED"),
    ],
)
def test_bad_input_is_a_coded_graphql_error(client, query, variables, code):
    body = client.gql(query, **variables)
    assert error_codes(body) == [code]
    assert "Traceback" not in str(body)


def test_query_limits(client):
    aliases = "{ " + " ".join(f"a{i}: genres {{ name }}" for i in range(40)) + " }"
    assert error_codes(client.gql(aliases)) == ["GRAPHQL_VALIDATION_FAILED"]
    level = "tracks { edges { node { artists { %s } } } }"
    deep = "{ " + level % (level % (level % (level % "name"))) + " }"
    assert error_codes(client.gql(deep)) == ["GRAPHQL_VALIDATION_FAILED"]


def test_a_page_of_50_tracks_costs_a_fixed_number_of_statements(db_url, db_engine, tmp_path):
    load_known_catalog(db_engine)
    from domain.catalog.store import ArtistRecord, TrackRecord, upsert_catalog

    upsert_catalog(db_engine, [
        TrackRecord(f"bulk{i:018d}", f"Bulk {i}", [ArtistRecord(f"bulkartist{i:012d}", f"Artist {i}")],
                    ["pop", "dance"], popularity=50, audio_features=FEATURES)
        for i in range(60)
    ])
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    query = "query($first: Int) { tracks(first: $first) { edges { node { name genres artists { name } audioFeatures { energy } } } } }"
    with graphql_client(make_settings(db_url, tmp_path), engine=db_engine) as client:
        sa.event.listen(db_engine, "before_cursor_execute", count)
        try:
            small = client.gql(query, first=5)
            small_count = len(statements)
            statements.clear()
            body = client.gql(query, first=50)
        finally:
            sa.event.remove(db_engine, "before_cursor_execute", count)
    assert len(small["data"]["tracks"]["edges"]) == 5
    assert len(body["data"]["tracks"]["edges"]) == 50
    assert all(e["node"]["artists"] and e["node"]["genres"] for e in body["data"]["tracks"]["edges"])
    # one page query + one batch each for genres, artists and audio features
    assert len(statements) == small_count == 4, statements
