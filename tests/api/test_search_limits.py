"""Search input is bounded (words and characters), so no search can stall the database."""

from __future__ import annotations

import pytest

from domain.catalog.search import check_search
from domain.errors import BadUserInput
from domain.settings import ApiSettings
from tests.support.catalog import load_known_catalog
from tests.support.graphql import error_codes, graphql_client
from tests.support.settings import make_settings

SEARCH = "query($s: String) { tracks(search: $s) { totalCount edges { node { name } } } }"


@pytest.fixture
def client(db_url, db_engine, tmp_path):
    load_known_catalog(db_engine)
    with graphql_client(make_settings(db_url, tmp_path)) as client:
        yield client


@pytest.mark.parametrize("search", [
    " ".join(f"w{i}" for i in range(100)),  # took seconds of PostgreSQL planning
    " ".join(f"w{i}" for i in range(1000)),  # took minutes
    " ".join(f"w{i}" for i in range(9)),  # one word over the default limit
    "x" * 201,  # one character over
])
def test_too_long_a_search_is_bad_user_input(client, search):
    body = client.gql(SEARCH, s=search)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["argument"] == "search"


def test_a_search_at_the_limits_still_runs(client):
    eight = "iu eight eight eight e s su sug suga b"  # eight words once duplicates count once
    assert client.gql(SEARCH, s=eight)["data"]["tracks"]["totalCount"] == 1
    body = client.gql(SEARCH, s="iu " + "e" * 197)
    assert "errors" not in body and body["data"]["tracks"]["totalCount"] == 0


def test_the_limits_are_settings(sqlite_url, tmp_path):
    settings = make_settings(sqlite_url, tmp_path, api=ApiSettings(max_search_words=1, max_search_length=5))
    with graphql_client(settings) as client:
        assert error_codes(client.gql(SEARCH, s="iu eight")) == ["BAD_USER_INPUT"]
        assert error_codes(client.gql(SEARCH, s="blueming")) == ["BAD_USER_INPUT"]
        assert "errors" not in client.gql(SEARCH, s="iu")


def test_words_are_counted_after_tokenising():
    check_search("a-b-c-d", max_words=4, max_length=200)
    with pytest.raises(BadUserInput):
        check_search("a-b-c-d-e", max_words=4, max_length=200)
