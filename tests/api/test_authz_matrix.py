"""Who may do what: (anonymous, owner, other user, admin) × every personal field and mutation.

The owner has a playlist "Mine" holding one rated track. A refused call leaves the database
exactly as it was.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from domain.accounts.tables import AuthToken, LoginFailure, User
from domain.playlists.tables import Playlist, PlaylistItem
from domain.plays.tables import PlayEvent
from tests.support.accounts import account_settings, make_user
from tests.support.catalog import load_known_catalog
from tests.support.graphql import error_codes, graphql_client

ROLES = ("anonymous", "owner", "other", "admin")
OK, UNAUTH, FORBIDDEN = "ok", "UNAUTHENTICATED", "FORBIDDEN"
SIGNED_IN = {"anonymous": UNAUTH, "owner": OK, "other": OK, "admin": OK}
READ_OWN = {"anonymous": UNAUTH, "owner": OK, "other": FORBIDDEN, "admin": OK}
CHANGE_OWN = {"anonymous": UNAUTH, "owner": OK, "other": FORBIDDEN, "admin": FORBIDDEN}

# name -> (operation using $playlist / $track where needed, expected outcome per role)
OPERATIONS = {
    "me": ("{ me { nickname } }", SIGNED_IN),
    "myPlaylists": ("{ myPlaylists { edges { node { id } } } }", SIGNED_IN),
    "playlist": ("query($playlist: ID!) { playlist(id: $playlist) { name items { edges { node { rating } } } } }",
                 READ_OWN),
    "createPlaylist": ('mutation { createPlaylist(name: "New") { id } }', SIGNED_IN),
    "addToDefaultPlaylist": ("mutation($track: ID!) { addToPlaylist(trackId: $track, rating: 2) { id } }", SIGNED_IN),
    "addToPlaylist": ("mutation($track: ID!, $playlist: ID!) "
                      "{ addToPlaylist(trackId: $track, rating: 2, playlistId: $playlist) { id } }", CHANGE_OWN),
    "removeFromPlaylist": ("mutation($track: ID!, $playlist: ID!) "
                           "{ removeFromPlaylist(trackId: $track, playlistId: $playlist) { id } }", CHANGE_OWN),
    "recordPlay": ("mutation($track: ID!) { recordPlay(trackId: $track) { id } }", SIGNED_IN),
    "recordPlays": ("mutation($track: ID!) { recordPlays(events: [{trackId: $track}]) { id } }", SIGNED_IN),
    "logOut": ("mutation { logOut }", SIGNED_IN),
}
CASES = [(op, role) for op in OPERATIONS for role in ROLES]


def snapshot(engine) -> dict[str, list]:
    """Every row a personal call could change."""
    with engine.connect() as conn:
        return {model.__name__: sorted(map(tuple, conn.execute(sa.select(model)).all()), key=repr)
                for model in (User, Playlist, PlaylistItem, PlayEvent, AuthToken, LoginFailure)}


@pytest.fixture
def world(db_url, db_engine, tmp_path):
    load_known_catalog(db_engine)
    with graphql_client(account_settings(db_url, tmp_path)) as client:
        tokens = {"anonymous": None}
        for role in ("owner", "other", "admin"):
            _, tokens[role] = make_user(db_engine, role + "-user", admin=role == "admin")
        track = client.gql('{ track(id: "4Dr2hJ3EnVh2Aaot6fRwDO") { id } }')["data"]["track"]["id"]
        playlist = client.gql('mutation { createPlaylist(name: "Mine") { id } }', token=tokens["owner"])
        playlist = playlist["data"]["createPlaylist"]["id"]
        client.gql("mutation($t: ID!, $p: ID!) { addToPlaylist(trackId: $t, rating: 5, playlistId: $p) { id } }",
                   token=tokens["owner"], t=track, p=playlist)
        yield client, tokens, {"track": track, "playlist": playlist}


@pytest.mark.parametrize(("operation", "role"), CASES)
def test_access(world, db_engine, operation, role):
    client, tokens, ids = world
    document, expected = OPERATIONS[operation]
    variables = {k: v for k, v in ids.items() if f"${k}" in document}
    before = snapshot(db_engine)
    body = client.gql(document, token=tokens[role], **variables)
    if expected[role] == OK:
        assert "errors" not in body, body
    else:
        assert error_codes(body) == [expected[role]], body
        assert snapshot(db_engine) == before


@pytest.mark.parametrize(("role", "rating"), [("anonymous", None), ("owner", 5), ("other", None), ("admin", None)])
def test_my_rating_is_only_ever_the_viewers(world, role, rating):
    client, tokens, ids = world
    body = client.gql("query($t: ID!) { track(id: $t) { name myRating } }", token=tokens[role], t=ids["track"])
    assert "errors" not in body and body["data"]["track"]["myRating"] == rating


@pytest.mark.parametrize("role", ROLES)
def test_the_catalog_is_open_to_everyone(world, role):
    client, tokens, _ = world
    body = client.gql("{ tracks(first: 2) { edges { node { name } } } genres { name } }", token=tokens[role])
    assert "errors" not in body and len(body["data"]["tracks"]["edges"]) == 2


def test_admins_read_the_owners_items(world):
    client, tokens, ids = world
    query = "query($p: ID!) { playlist(id: $p) { name items { edges { node { rating track { id } } } } } }"
    body = client.gql(query, token=tokens["admin"], p=ids["playlist"])["data"]["playlist"]
    assert body["name"] == "Mine"
    assert [(e["node"]["track"]["id"], e["node"]["rating"]) for e in body["items"]["edges"]] == [(ids["track"], 5)]
