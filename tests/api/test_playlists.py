"""Playlists with ratings: default playlist, create, add (re-rate), remove, pagination,
``Track.myRating`` and batched loading."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from domain.db import create_db_engine
from domain.playlists.tables import PlaylistItem
from tests.support.accounts import account_settings, make_user
from tests.support.catalog import load_known_catalog
from tests.support.graphql import error_codes, graphql_client

ADD = """
mutation($track: ID!, $rating: Int!, $playlist: ID) {
  addToPlaylist(trackId: $track, rating: $rating, playlistId: $playlist) {
    id name isDefault items { totalCount edges { node { rating track { id name } } } }
  }
}
"""
REMOVE = """
mutation($track: ID!, $playlist: ID) {
  removeFromPlaylist(trackId: $track, playlistId: $playlist) { id items { edges { node { track { id } } } } }
}
"""
CREATE = "mutation($name: String!) { createPlaylist(name: $name) { id name isDefault } }"
MY_PLAYLISTS = """
query($first: Int, $after: String) {
  myPlaylists(first: $first, after: $after) {
    totalCount edges { cursor node { id name isDefault } } pageInfo { hasNextPage endCursor }
  }
}
"""
ITEMS = """
query($id: ID!, $first: Int, $after: String) {
  playlist(id: $id) {
    name
    items(first: $first, after: $after) {
      totalCount
      edges { node { rating addedAt track { id name myRating artists { name } genres } } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""
RATINGS = "{ tracks(first: 6) { edges { node { id myRating } } } }"


@pytest.fixture
def client(db_url, db_engine, tmp_path):
    load_known_catalog(db_engine)
    with graphql_client(account_settings(db_url, tmp_path)) as client:
        _, client.token = make_user(db_engine, "minji")
        yield client


def track_ids(client, n: int) -> list[str]:
    edges = client.gql("query($n: Int) { tracks(first: $n) { edges { node { id } } } }", n=n)
    return [e["node"]["id"] for e in edges["data"]["tracks"]["edges"]]


def items(playlist: dict) -> list[tuple[str, int]]:
    return [(e["node"]["track"]["id"], e["node"]["rating"]) for e in playlist["items"]["edges"]]


def item_rows(engine) -> list[tuple[int, int, int]]:
    with Session(engine) as session:
        return sorted(session.exec(select(PlaylistItem.playlist_id, PlaylistItem.track_id, PlaylistItem.rating)).all())


def test_add_goes_to_the_default_playlist_and_re_adding_updates_the_rating(client, db_engine):
    first, second = track_ids(client, 2)
    body = client.gql(ADD, track=first, rating=3)["data"]["addToPlaylist"]
    assert body["isDefault"] and body["name"] == "My playlist" and items(body) == [(first, 3)]
    client.gql(ADD, track=second, rating=5)
    again = client.gql(ADD, track=first, rating=1)["data"]["addToPlaylist"]
    assert items(again) == [(second, 5), (first, 1)]  # most recently added first; re-rating keeps the place
    assert again["items"]["totalCount"] == 2
    assert [(t, r) for _, t, r in item_rows(db_engine)] == [(int(first), 1), (int(second), 5)]


def test_tracks_can_be_named_by_spotify_id(client):
    body = client.gql(ADD, track="4Dr2hJ3EnVh2Aaot6fRwDO", rating=4)["data"]["addToPlaylist"]
    assert [e["node"]["track"]["name"] for e in body["items"]["edges"]] == ["Blueming"]


@pytest.mark.parametrize("rating", [-1, 6, 100])
def test_rating_must_be_0_to_5(client, db_engine, rating):
    body = client.gql(ADD, track=track_ids(client, 1)[0], rating=rating)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["violations"][0]["rule"] == "RANGE"
    assert item_rows(db_engine) == []


def test_rating_is_required_and_whole(client):
    track = track_ids(client, 1)[0]
    assert error_codes(client.gql("mutation { addToPlaylist(trackId: \"1\") { id } }")) == ["GRAPHQL_VALIDATION_FAILED"]
    assert error_codes(client.gql(ADD, track=track, rating=2.5)) == ["GRAPHQL_VALIDATION_FAILED"]


@pytest.mark.parametrize("track", ["999999", "nonsense", "0000000000000000000000"])
def test_unknown_tracks_are_not_found_and_change_nothing(client, db_engine, track):
    assert error_codes(client.gql(ADD, track=track, rating=3)) == ["NOT_FOUND"]
    assert error_codes(client.gql(REMOVE, track=track)) == ["NOT_FOUND"]
    assert item_rows(db_engine) == []


def test_unknown_playlists_are_not_found(client):
    track = track_ids(client, 1)[0]
    for playlist in ("424242", "abc"):
        assert error_codes(client.gql(ADD, track=track, rating=3, playlist=playlist)) == ["NOT_FOUND"]
        assert error_codes(client.gql(ITEMS, id=playlist)) == ["NOT_FOUND"]


def test_create_named_playlists_and_add_to_them(client, db_engine):
    workout = client.gql(CREATE, name="  Workout ")["data"]["createPlaylist"]
    assert workout["name"] == "Workout" and workout["isDefault"] is False
    track = track_ids(client, 1)[0]
    body = client.gql(ADD, track=track, rating=4, playlist=workout["id"])["data"]["addToPlaylist"]
    assert body["id"] == workout["id"] and items(body) == [(track, 4)]
    listed = client.gql(MY_PLAYLISTS)["data"]["myPlaylists"]
    assert [(e["node"]["name"], e["node"]["isDefault"]) for e in listed["edges"]] == [
        ("My playlist", True), ("Workout", False)]
    assert len(item_rows(db_engine)) == 1


@pytest.mark.parametrize(("name", "rule"), [("Workout", "TAKEN"), ("My playlist", "TAKEN"), ("   ", "REQUIRED"),
                                            ("x" * 201, "FORMAT")])
def test_playlist_names_are_checked(client, name, rule):
    client.gql(CREATE, name="Workout")
    body = client.gql(CREATE, name=name)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["violations"][0]["rule"] == rule
    assert client.gql(MY_PLAYLISTS)["data"]["myPlaylists"]["totalCount"] == 2


def test_remove_takes_the_track_out_and_is_idempotent(client, db_engine):
    first, second = track_ids(client, 2)
    client.gql(ADD, track=first, rating=3)
    client.gql(ADD, track=second, rating=4)
    body = client.gql(REMOVE, track=first)["data"]["removeFromPlaylist"]
    assert [e["node"]["track"]["id"] for e in body["items"]["edges"]] == [second]
    assert "errors" not in client.gql(REMOVE, track=first)
    assert [t for _, t, _ in item_rows(db_engine)] == [int(second)]


def test_my_playlists_pages(client):
    for i in range(4):
        client.gql(CREATE, name=f"List {i}")
    seen, after = [], None
    while True:
        page = client.gql(MY_PLAYLISTS, first=2, after=after)["data"]["myPlaylists"]
        assert page["totalCount"] == 5
        seen += [e["node"]["name"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == ["My playlist", "List 0", "List 1", "List 2", "List 3"]
    assert error_codes(client.gql(MY_PLAYLISTS, after="garbage")) == ["BAD_USER_INPUT"]
    assert error_codes(client.gql(MY_PLAYLISTS, first=0)) == ["BAD_USER_INPUT"]


def test_playlist_items_page_most_recent_first(client):
    tracks = track_ids(client, 7)
    for rating, track in enumerate(tracks[:6]):
        playlist = client.gql(ADD, track=track, rating=rating)["data"]["addToPlaylist"]["id"]
    seen, after = [], None
    while True:
        page = client.gql(ITEMS, id=playlist, first=4, after=after)["data"]["playlist"]["items"]
        assert page["totalCount"] == 6
        seen += [(e["node"]["track"]["id"], e["node"]["rating"]) for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [(t, r) for r, t in reversed(list(enumerate(tracks[:6])))]


def test_my_rating_is_the_viewers_own(client, db_engine):
    first, second, third = track_ids(client, 3)
    client.gql(ADD, track=first, rating=5)
    client.gql(ADD, track=second, rating=0)
    mine = {e["node"]["id"]: e["node"]["myRating"] for e in client.gql(RATINGS)["data"]["tracks"]["edges"]}
    assert (mine[first], mine[second], mine[third]) == (5, 0, None)
    _, other = make_user(db_engine, "jun")
    theirs = client.gql(RATINGS, token=other)["data"]["tracks"]["edges"]
    assert {e["node"]["myRating"] for e in theirs} == {None}
    client.token = None
    anonymous = client.gql(RATINGS)
    assert "errors" not in anonymous and {e["node"]["myRating"] for e in anonymous["data"]["tracks"]["edges"]} == {None}


def test_my_rating_across_playlists_is_the_latest_added(client):
    track = track_ids(client, 1)[0]
    client.gql(ADD, track=track, rating=2)
    later = client.gql(CREATE, name="Later")["data"]["createPlaylist"]["id"]
    client.gql(ADD, track=track, rating=4, playlist=later)
    client.gql(ADD, track=track, rating=1)  # re-rating the first one does not make it the latest added
    rating = client.gql("query($id: ID!) { track(id: $id) { myRating } }", id=track)["data"]["track"]["myRating"]
    assert rating == 4


def test_playlist_items_are_loaded_in_batches(db_url, db_engine, tmp_path):
    """A page of items costs the same number of queries for 2 items as for 20."""
    load_known_catalog(db_engine)
    counted = create_db_engine(db_url)
    statements: list[str] = []
    sa.event.listen(counted, "before_cursor_execute", lambda *args: statements.append(args[2]))
    with graphql_client(account_settings(db_url, tmp_path), engine=counted) as client:
        _, client.token = make_user(db_engine, "minji")
        tracks = track_ids(client, 20)
        costs = []
        for size in (2, 20):
            for track in tracks[:size]:
                playlist = client.gql(ADD, track=track, rating=3)["data"]["addToPlaylist"]["id"]
            statements.clear()
            body = client.gql(ITEMS, id=playlist, first=50)
            assert len(body["data"]["playlist"]["items"]["edges"]) == size
            costs.append(len(statements))
    counted.dispose()
    assert costs[0] == costs[1]
