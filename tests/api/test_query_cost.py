"""The query cost limit: an estimate of resolved fields, refused above ``api.max_query_cost``
before anything runs."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from graphql import parse

from api.cost import CostEstimate
from api.schema import schema
from domain.db import create_db_engine
from domain.settings import ApiSettings
from tests.support.catalog import load_known_catalog
from tests.support.graphql import error_codes, graphql_client
from tests.support.settings import make_settings


def cost(query: str, variables: dict | None = None, default_page_size: int = 20) -> int:
    document = parse(query)
    estimate = CostEstimate(schema._schema, document, variables, default_page_size=default_page_size,
                            max_page_size=100, stop_above=10**12)
    return estimate.operation(document.definitions[0])


@pytest.mark.parametrize(("query", "variables", "expected"), [
    ("{ genres { name trackCount } }", None, 3),
    # tracks + 100 × (edges + node + id)
    ("{ tracks(first: 100) { edges { node { id } } } }", None, 1 + 100 * 3),
    ("query($n: Int) { tracks(first: $n) { edges { node { id } } } }", {"n": 5}, 1 + 5 * 3),
    ("query($n: Int) { tracks(first: $n) { edges { node { id } } } }", {}, 1 + 20 * 3),  # default page
    ("query($n: Int = 7) { tracks(first: $n) { edges { node { id } } } }", {}, 1 + 7 * 3),
    ("{ tracks { totalCount } }", None, 1 + 20),
    ("{ similarTracks(trackId: 1) { score } }", None, 1 + 10),  # k defaults to 10
    ("{ similarTracks(trackId: 1, k: 3) { score track { name } } }", None, 1 + 3 * 3),
    # nested pages multiply: 1 + 10 × (edges 1 + 1 × (node 1 + artists (1 + tracks (1 + 10 × totalCount))))
    ("{ tracks(first: 10) { edges { node { artists { tracks(first: 10) { totalCount } } } } } }", None,
     1 + 10 * (1 + (1 + (1 + (1 + 10 * 1))))),
    ("query { ...F } fragment F on Query { tracks(first: 2) { totalCount } }", None, 3),
    ("query { ... on Query { genres { name } } }", None, 2),
    # resolvers refuse pages over the largest (100) or under 1
    ("{ tracks(first: 100000) { totalCount } }", None, 1 + 100),
    ("{ tracks(first: -5) { totalCount } }", None, 1),
])
def test_the_estimate_multiplies_page_sizes_along_each_path(query, variables, expected):
    assert cost(query, variables) == expected


def test_fragments_are_costed_once_and_cycles_end():
    # each fragment spreads the next one twice: 2**20 fields, costed in 20 steps
    fragments = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(20))
    query = f"query {{ ...F0 }} {fragments} fragment F20 on Query {{ genres {{ name }} }}"
    assert cost(query) == 2**20 * 2
    assert cost("query { ...A } fragment A on Query { genres { name } ...A }") == 2


ATTACK = "{ " + " ".join(
    f"a{i}: tracks(first: 100) {{ edges {{ node {{ id name artists {{ name tracks(first: 100) "
    f"{{ edges {{ node {{ id name }} }} }} }} }} }} }}" for i in range(29)) + " }"


@pytest.fixture
def counted_client(sqlite_url, tmp_path):
    engine = create_db_engine(sqlite_url)
    load_known_catalog(engine)
    statements: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda conn, cursor, statement, *a: statements.append(statement))

    def client_for(**api):
        settings = make_settings(sqlite_url, tmp_path, api=ApiSettings(**api))
        return graphql_client(settings, engine=engine)

    yield client_for, statements
    engine.dispose()


def test_a_costly_query_is_refused_before_it_runs(counted_client):
    client_for, statements = counted_client
    assert len(ATTACK) > 3000 and cost(ATTACK) > 29 * 100 * 100
    with client_for() as client:
        statements.clear()
        body = client.gql(ATTACK)
        assert statements == []
    assert error_codes(body) == ["QUERY_TOO_COMPLEX"] and body["data"] is None
    assert "limit is 10,000" in body["errors"][0]["message"]


def test_the_limit_is_a_setting(counted_client):
    client_for, _ = counted_client
    query = "{ tracks(first: 10) { edges { node { name } } } }"  # costs 31
    with client_for(max_query_cost=30) as client:
        assert error_codes(client.gql(query)) == ["QUERY_TOO_COMPLEX"]
    with client_for(max_query_cost=31) as client:
        assert len(client.gql(query)["data"]["tracks"]["edges"]) == 10


def test_big_honest_queries_fit_the_default_limit(counted_client):
    client_for, _ = counted_client
    page = ("tracks(first: 100) { totalCount edges { cursor node { id spotifyId name album releaseDate popularity "
            "durationMs explicit previewUrl spotifyUri genres primaryGenre myRating artists { id name genres } "
            "audioFeatures { danceability energy key loudness mode speechiness acousticness instrumentalness "
            "liveness valence tempo timeSignature } } } pageInfo { hasNextPage endCursor } }")
    nested = "tracks(first: 20) { edges { node { name artists { name tracks(first: 20) { edges { node { name } } } } } } }"
    for query in (f"{{ {page} }}", f"{{ {nested} }}"):
        assert cost(query) <= ApiSettings().max_query_cost
        with client_for() as client:
            assert "errors" not in client.gql(query)
