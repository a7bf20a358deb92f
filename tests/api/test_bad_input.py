"""Malformed input is a coded client error, never HTTP 500 or INTERNAL_SERVER_ERROR: ids, cursors,
dates, characters no database stores, request bodies that are not GraphQL, several operations."""

from __future__ import annotations

import base64
import json

import pytest
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.testclient import TestClient

from api.app import create_app
from api.http import GraphQLView
from api.schema import build_schema
from tests.support.accounts import user_with_token
from tests.support.catalog import load_known_catalog
from tests.support.settings import make_settings


def cursor(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


def post(client: TestClient, query: str, token: str | None = None, operation: str | None = None, **variables):
    """POST a GraphQL request; the body is ASCII JSON so lone surrogates travel as escapes."""
    body = {"query": query, "variables": variables}
    if operation:
        body["operationName"] = operation
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    return client.post("/graphql", content=json.dumps(body), headers=headers)


def codes(response) -> list[str]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert "Traceback" not in response.text
    return [e.get("extensions", {}).get("code") for e in body.get("errors") or []]


@pytest.fixture
def app(sqlite_url, db_engine_sqlite, tmp_path):
    with TestClient(create_app(make_settings(sqlite_url, tmp_path))) as client:
        yield client


@pytest.fixture
def db_engine_sqlite(sqlite_url):
    from domain.db import create_db_engine

    engine = create_db_engine(sqlite_url)
    load_known_catalog(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def token(db_engine_sqlite) -> str:
    return user_with_token(db_engine_sqlite, "mallory")[1]


TRACK = "query($id: ID!) { track(id: $id) { id } }"
TRACKS = "query($after: String, $search: String) { tracks(after: $after, search: $search) { totalCount } }"
BIG = "99999999999999999999"  # above 2**64

BAD_INPUT = [
    pytest.param('{ track(id: "²") { id } }', {}, id="superscript-digit-literal"),
    pytest.param(TRACK, {"id": "²"}, id="superscript-digit-variable"),
    pytest.param(TRACK, {"id": "١٢"}, id="arabic-digits"),
    pytest.param(f"{{ track(id: {BIG}) {{ id }} }}", {}, id="id-int-literal-above-64-bits"),
    pytest.param(TRACK, {"id": BIG}, id="id-string-above-64-bits"),
    pytest.param(TRACK, {"id": int(BIG)}, id="id-number-above-64-bits"),
    pytest.param(TRACK, {"id": "9223372036854775808"}, id="id-just-above-int64"),
    pytest.param(f'{{ artist(id: "{BIG}") {{ id }} }}', {}, id="artist-id"),
    pytest.param(f'{{ similarTracks(trackId: "{BIG}") {{ score }} }}', {}, id="similar-tracks-id"),
    pytest.param(TRACKS, {"after": cursor([10**30, 1])}, id="cursor-huge-int"),
    pytest.param(TRACKS, {"after": cursor([1, -(10**20)])}, id="cursor-huge-negative-int"),
    pytest.param(TRACKS, {"after": base64.urlsafe_b64encode(b"[" * 100_000).decode()}, id="cursor-deep-nesting"),
    pytest.param(TRACKS, {"after": base64.urlsafe_b64encode(b"[1, " + b"9" * 5000 + b"]").decode()},
                 id="cursor-5000-digits"),
    pytest.param(TRACKS, {"after": base64.urlsafe_b64encode(b"[" * 100 + b"]" * 100).decode()}, id="cursor-nested"),
    pytest.param(TRACKS, {"search": "iu\udc00"}, id="lone-surrogate-variable"),
    pytest.param(TRACKS, {"search": "iu\x00"}, id="nul-variable"),
    pytest.param('{ tracks(search: "iu\\u0000") { totalCount } }', {}, id="nul-escape-literal"),
    pytest.param('{ tracks(genre: """a\x00""") { totalCount } }', {}, id="raw-nul-in-document"),
    pytest.param('{ tracks(genre: "\ud800") { totalCount } }', {}, id="raw-lone-surrogate-in-document"),
    pytest.param("query($s: String = \"\\u0000\") { tracks(search: $s) { totalCount } }", {}, id="nul-default"),
    pytest.param('{ chart(kind: HOURLY, at: "9999-12-31T23:59:59+00:00") { kind } }', {}, id="datetime-max"),
    pytest.param('{ chart(kind: HOURLY, at: "0001-01-01T00:00:00-01:00") { kind } }', {}, id="datetime-min"),
    pytest.param('{ chart(kind: TOP50, day: "9999-12-31") { kind } }', {}, id="date-max-literal"),
    pytest.param("query($day: Date) { overallStats(day: $day) { plays } }", {"day": "0001-01-01"}, id="date-min"),
    pytest.param('{ chartWindows(from: "0001-01-01T00:00:00Z", to: "0001-01-02T00:00:00Z") { plays } }', {},
                 id="windows-at-calendar-start"),
    pytest.param("query A { genres { name } } query B { engines { name } }", {}, id="two-operations-no-name"),
]

SIGNED_IN_BAD_INPUT = [
    pytest.param('mutation { addToPlaylist(trackId: "²", rating: 3) { id } }', {}, id="add-to-playlist-digit"),
    pytest.param(f'mutation {{ addToPlaylist(trackId: "1", rating: 3, playlistId: "{BIG}") {{ id }} }}', {},
                 id="playlist-id-above-64-bits"),
    pytest.param('mutation { recordPlay(trackId: "²") { id } }', {}, id="record-play-digit"),
    pytest.param("mutation($e: [PlayInput!]!) { recordPlays(events: $e) { id } }", {"e": [{"trackId": BIG}]},
                 id="record-plays-id-in-input-object"),
    pytest.param(f'{{ playlist(id: "{BIG}") {{ id }} }}', {}, id="playlist-lookup"),
    pytest.param('{ recommendations(seedTrackIds: ["1", "²"]) { mixId } }', {}, id="seed-id-in-list"),
    pytest.param("mutation($n: String!) { createPlaylist(name: $n) { id } }", {"n": "a\x00b"}, id="nul-name"),
    pytest.param("mutation($n: String!) { createPlaylist(name: $n) { id } }", {"n": "a\ud83d"}, id="surrogate-name"),
    pytest.param('query { myStats(from: "9999-12-01", to: "9999-12-31") { plays } }', {}, id="my-stats-calendar-end"),
]


@pytest.mark.parametrize(("query", "variables"), BAD_INPUT)
def test_bad_input_is_bad_user_input(app, query, variables):
    assert set(codes(post(app, query, **variables))) == {"BAD_USER_INPUT"}


def test_variables_are_checked_on_every_request_of_a_validated_document(app, monkeypatch):
    """Validation is cached per document; the variables of each request are still checked."""
    import strawberry.schema.schema as strawberry_schema

    calls = []
    real = strawberry_schema.validate
    monkeypatch.setattr(strawberry_schema, "validate", lambda *a, **k: calls.append(1) or real(*a, **k))
    query = "query($id: ID!) { track(id: $id) { id } } # cached-document"
    assert post(app, query, id="1").json()["data"] == {"track": {"id": "1"}}
    assert set(codes(post(app, query, id="\u00b2"))) == {"BAD_USER_INPUT"}
    assert set(codes(post(app, query, id="1" * 30))) == {"BAD_USER_INPUT"}
    assert post(app, query, id="2").json()["data"] == {"track": {"id": "2"}}
    assert len(calls) <= 1  # validated once (or never, when an earlier test cached this document)


@pytest.mark.parametrize(("query", "variables"), SIGNED_IN_BAD_INPUT)
def test_bad_input_of_signed_in_users_is_bad_user_input(app, token, query, variables):
    assert set(codes(post(app, query, token, **variables))) == {"BAD_USER_INPUT"}


@pytest.mark.parametrize(("query", "variables", "expected"), [
    pytest.param(TRACK, {"id": "7xX8HM7CGRcfqzWoiaPZs0"}, "track", id="spotify-id"),
    pytest.param(TRACK, {"id": "9223372036854775807"}, "NOT_FOUND", id="largest-int64-id"),
    pytest.param(TRACK, {"id": "nope"}, "NOT_FOUND", id="unknown-word-id"),
    pytest.param(TRACK, {"id": "0" * 22}, "NOT_FOUND", id="leading-zeros-id"),
    pytest.param(TRACKS, {"search": "아이유 eight"}, "tracks", id="non-ascii-search"),
    pytest.param("query($day: Date) { overallStats(day: $day) { plays } }", {"day": "1000-01-01"}, "overallStats",
                 id="earliest-accepted-date"),
])
def test_well_formed_input_still_works(app, query, variables, expected):
    response = post(app, query, **variables)
    found = codes(response)
    assert found == ([expected] if expected.isupper() else []), response.text
    if not expected.isupper():
        assert expected in response.json()["data"]


def test_several_operations_run_the_named_one(app):
    response = post(app, "query A { genres { name } } query B { engines { name } }", operation="B")
    assert codes(response) == [] and list(response.json()["data"]) == ["engines"]


def test_nul_in_a_stored_string_is_refused_on_every_database(db_url, tmp_path):
    from domain.db import create_db_engine

    engine = create_db_engine(db_url)
    _, token = user_with_token(engine, "nul")
    with TestClient(create_app(make_settings(db_url, tmp_path), engine=engine)) as client:
        for name in ("mix\x00tape", "mix\udfffe"):
            assert codes(post(client, "mutation($n: String!) { createPlaylist(name: $n) { id } }", token, n=name)) \
                == ["BAD_USER_INPUT"]
        assert codes(post(client, '{ tracks(search: "a\\u0000") { totalCount } }')) == ["BAD_USER_INPUT"]
        fine = post(client, "mutation($n: String!) { createPlaylist(name: $n) { name } }", token, n="mixtape")
        assert codes(fine) == [] and fine.json()["data"]["createPlaylist"]["name"] == "mixtape"
    engine.dispose()


BODIES = [b"null", b"42", b'"x"', b"[1]", b"true", b"{", b"[" * 100_000]


def _assert_json_400(response) -> None:
    assert response.status_code == 400, response.text
    error = response.json()["errors"][0]
    assert error["message"] and error["extensions"]["code"] == "BAD_REQUEST"


@pytest.mark.parametrize("body", BODIES, ids=lambda b: b[:10].decode())
def test_a_body_that_is_not_a_graphql_request_is_a_json_400(body):
    app = Starlette(routes=[Route("/graphql", GraphQLView(build_schema()), methods=["GET", "POST"])])
    with TestClient(app) as client:
        _assert_json_400(client.post("/graphql", content=body, headers={"content-type": "application/json"}))
        _assert_json_400(client.post("/graphql", json={"query": "{ genres { name } }", "operationName": "Nope"}))
        ok = client.post("/graphql", json={"query": "{ __typename }"})
        assert ok.status_code == 200 and ok.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize("body", BODIES, ids=lambda b: b[:10].decode())
def test_the_app_answers_a_body_that_is_not_a_graphql_request_with_a_json_400(app, body):
    _assert_json_400(app.post("/graphql", content=body, headers={"content-type": "application/json"}))
