"""Defects the GraphQL fuzzing found, each pinned by the smallest request that showed it: a
subscription over plain HTTP, a body that is not UTF-8, numeric ids beyond the id columns of
PostgreSQL (recommendation seeds included), ids sent as JSON numbers with a fraction part of
zero, and HTTP methods other than GET and POST."""

from __future__ import annotations

import base64
import json
import logging

import pytest
from starlette.testclient import TestClient

from api.app import create_app
from domain.db import create_db_engine
from domain.validation import check_id, db_id
from tests.support.accounts import user_with_token
from tests.support.catalog import load_known_catalog
from tests.support.fuzz import problems_of
from tests.support.graphql import error_codes
from tests.support.settings import make_settings

ABOVE = 2**31  # the first number no id column of PostgreSQL (INTEGER) holds
ABOVE_ROWS = str(ABOVE)
SUBSCRIBE = "subscription { chartUpdated(kind: REALTIME) { kind } }"


def cursor(*values) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode()


@pytest.fixture
def client(sqlite_url, tmp_path):
    with TestClient(create_app(make_settings(sqlite_url, tmp_path))) as client:
        yield client


@pytest.fixture
def catalog_app(db_url, tmp_path):
    """A client of an app on ``db_url`` with the known catalog, and a listener's token."""
    engine = create_db_engine(db_url)
    load_known_catalog(engine)
    _, token = user_with_token(engine, "fuzzed")
    with TestClient(create_app(make_settings(db_url, tmp_path), engine=engine)) as client:
        yield client, token
    engine.dispose()


def gql(client: TestClient, query: str, token: str | None = None, **variables) -> dict:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    response = client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    body = response.json()
    assert response.status_code == 200 and problems_of(response.status_code, response.text, body) == [], response.text
    return body


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_a_subscription_over_plain_http_is_a_400_pointing_to_the_websocket(client, method, caplog):
    with caplog.at_level(logging.ERROR, logger="hz45.api"):
        if method == "POST":
            response = client.post("/graphql", json={"query": SUBSCRIBE})
        else:
            response = client.get("/graphql", params={"query": SUBSCRIBE})
    assert response.status_code == 400, response.text
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST" and "WebSocket" in error["message"]
    assert not caplog.records  # refused before any resolver ran, so nothing unexpected was logged


def test_a_named_subscription_beside_a_query_is_refused_and_the_query_still_runs(client):
    document = f"query Q {{ __typename }} subscription S {SUBSCRIBE[len('subscription '):]}"
    refused = client.post("/graphql", json={"query": document, "operationName": "S"})
    assert refused.status_code == 400 and refused.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    ran = client.post("/graphql", json={"query": document, "operationName": "Q"})
    assert ran.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize("body", [b'{"query": "{ genres { name \xff } }"}', b"\xff\xfe\xfd", b'{"query": "\xc3"}'],
                         ids=["invalid-byte-in-a-string", "no-json-at-all", "truncated-sequence"])
def test_a_body_that_is_not_utf8_is_a_json_400(client, body):
    response = client.post("/graphql", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


def test_ids_above_the_id_columns_name_nothing():
    assert db_id(str(ABOVE - 1)) == ABOVE - 1 and db_id(ABOVE_ROWS) is None
    assert check_id(ABOVE_ROWS) == ABOVE_ROWS  # well-formed: a lookup answers NOT_FOUND


@pytest.mark.parametrize(("query", "signed_in"), [
    pytest.param("query($id: ID!) { track(id: $id) { id } }", False, id="track"),
    pytest.param("query($id: ID!) { artist(id: $id) { id } }", False, id="artist"),
    pytest.param("query($id: ID!) { playlist(id: $id) { id } }", True, id="playlist"),
    pytest.param("mutation($id: ID!) { addToPlaylist(trackId: $id, rating: 3) { id } }", True, id="add-track"),
    pytest.param('mutation($id: ID!) { addToPlaylist(trackId: "1", rating: 3, playlistId: $id) { id } }', True,
                 id="add-to-playlist"),
    pytest.param("mutation($id: ID!) { removeFromPlaylist(trackId: $id) { id } }", True, id="remove-track"),
    pytest.param("query($id: ID!) { similarTracks(trackId: $id) { score } }", False, id="similar-tracks"),
    pytest.param("query($id: ID!) { recommendations(seedTrackIds: [\"1\", $id]) { mixId } }", True, id="seed-tracks"),
])
def test_an_id_above_every_row_is_not_found_on_every_database(catalog_app, query, signed_in):
    client, token = catalog_app
    assert error_codes(gql(client, query, token if signed_in else None, id=ABOVE_ROWS)) == ["NOT_FOUND"]


@pytest.mark.parametrize("query", [
    "query($id: ID!) { similarTracks(trackId: $id) { score } }",
    "query($id: ID!) { recommendations(seedTrackIds: [$id]) { mixId } }",
])
@pytest.mark.parametrize("ident", ["x1", "-1", "1" * 30, "\u00b2"])
def test_a_malformed_track_id_for_recommendations_is_bad_input(catalog_app, query, ident):
    client, token = catalog_app
    assert error_codes(gql(client, query, token, id=ident)) == ["BAD_USER_INPUT"]


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_another_http_method_is_a_json_405(client, method):
    response = client.request(method, "/graphql", json={"query": "{ genres { name } }"})
    assert response.status_code == 405
    assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"


def test_a_play_of_an_id_above_every_row_is_an_unknown_track(catalog_app):
    client, token = catalog_app
    for query in ("mutation($id: ID!) { recordPlay(trackId: $id) { id } }",
                  "mutation($id: ID!) { recordPlays(events: [{trackId: $id}]) { id } }"):
        [error] = gql(client, query, token, id=ABOVE_ROWS)["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert [v["rule"] for v in error["extensions"]["violations"]] == ["UNKNOWN_TRACK"]


@pytest.mark.parametrize("query", [
    "query($after: String) { tracks(after: $after) { totalCount } }",
    'query($after: String) { tracks(genre: "pop", after: $after) { totalCount } }',
    "query($after: String) { myPlaylists(after: $after) { totalCount } }",
    "query($after: String) { myPlaylists { edges { node { items(after: $after) { totalCount } } } } }",
])
def test_a_cursor_beyond_the_id_columns_is_malformed_on_every_database(catalog_app, query):
    client, token = catalog_app
    after = cursor(1, ABOVE) if "tracks" in query else cursor(ABOVE)
    assert error_codes(gql(client, query, token, after=after)) == ["BAD_USER_INPUT"]


def test_an_id_sent_as_a_whole_float_obeys_the_id_rules(catalog_app):
    client, _ = catalog_app
    query = "query($id: ID!) { track(id: $id) { id } }"
    assert gql(client, query, id=1.0)["data"] == {"track": {"id": "1"}}
    assert error_codes(gql(client, query, id=1e300)) == ["BAD_USER_INPUT"]  # 301 digits
    assert error_codes(gql(client, query, id=float(2**63))) == ["BAD_USER_INPUT"]
    assert error_codes(gql(client, query, id=1.5)) == ["GRAPHQL_VALIDATION_FAILED"]
