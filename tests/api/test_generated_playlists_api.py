"""Generated playlists over GraphQL: listed with their kind, read in order, and read-only."""

from __future__ import annotations

from domain.jobs.queues import inprocess_runner
from jobs.generated_playlists import generate_daily_mixes, generate_weekly_exploration
from tests.support.accounts import sign_in, user_with_token
from tests.support.graphql import error_codes, graphql_client
from tests.support.mixes import DAY, seed_listeners
from tests.support.settings import make_settings

MINE = """query($kind: PlaylistKind) { myPlaylists(kind: $kind) { totalCount edges { node {
  id name kind generatedFor isDefault items(first: 3) { totalCount edges { node {
    position rating track { id myRating } } } }
} } } }"""
ADD = """mutation($track: ID!, $playlist: ID) { addToPlaylist(trackId: $track, rating: 4, playlistId: $playlist) {
  id kind items { totalCount } } }"""
RUN = "mutation($kind: AggregationKind!, $day: Date) { runAggregation(kind: $kind, day: $day) { id name } }"
JOB = "query($id: ID!) { job(id: $id) { status result } }"
REMOVE = """mutation($track: ID!, $playlist: ID) { removeFromPlaylist(trackId: $track, playlistId: $playlist) { id } }"""


def _setup(db_url):
    engine, ana, _, _ = seed_listeners(db_url)
    generate_daily_mixes(DAY, database_url=db_url)
    generate_weekly_exploration(DAY, database_url=db_url)
    token = sign_in(engine, ana)
    engine.dispose()
    return token


def test_my_playlists_show_the_generated_ones_with_their_kind(db_url, tmp_path):
    token = _setup(db_url)
    with graphql_client(make_settings(db_url, tmp_path)) as client:
        every = client.gql(MINE, token=token)["data"]["myPlaylists"]
        weekly = client.gql(MINE, token=token, kind="WEEKLY_EXPLORATION")["data"]["myPlaylists"]
    nodes = [e["node"] for e in every["edges"]]
    assert every["totalCount"] == 2
    assert [(n["name"], n["kind"], n["generatedFor"], n["isDefault"]) for n in nodes] == [
        ("Daily Mix", "DAILY_MIX", "2024-05-10", False), ("Weekly Exploration", "WEEKLY_EXPLORATION", "2024-05-06", False)]
    items = nodes[0]["items"]
    assert items["totalCount"] == 50
    assert [(e["node"]["position"], e["node"]["rating"]) for e in items["edges"]] == [(0, None), (1, None), (2, None)]
    assert {e["node"]["track"]["myRating"] for e in items["edges"]} == {None}  # not the user's ratings
    assert weekly["totalCount"] == 1 and weekly["edges"][0]["node"]["kind"] == "WEEKLY_EXPLORATION"


def test_generated_playlists_are_read_only_and_own_playlists_still_work(db_url, tmp_path):
    token = _setup(db_url)
    with graphql_client(make_settings(db_url, tmp_path)) as client:
        mix = client.gql(MINE, token=token, kind="DAILY_MIX")["data"]["myPlaylists"]["edges"][0]["node"]
        track = mix["items"]["edges"][0]["node"]["track"]["id"]
        added = client.gql(ADD, token=token, track=track, playlist=mix["id"])
        removed = client.gql(REMOVE, token=token, track=track, playlist=mix["id"])
        default = client.gql(ADD, token=token, track=track)["data"]["addToPlaylist"]  # the default one, created
        after = client.gql(MINE, token=token, kind="DAILY_MIX")["data"]["myPlaylists"]["edges"][0]["node"]
        own = client.gql(MINE, token=token, kind="USER")["data"]["myPlaylists"]
    assert error_codes(added) == ["FORBIDDEN"] and error_codes(removed) == ["FORBIDDEN"]
    assert "read-only" in added["errors"][0]["message"]
    assert default["kind"] == "USER" and default["id"] != mix["id"] and default["items"]["totalCount"] == 1
    assert after["items"]["totalCount"] == 50
    assert own["totalCount"] == 1 and own["edges"][0]["node"]["isDefault"]


def test_admins_generate_the_playlists_through_run_aggregation(db_url, tmp_path):
    engine, ana, _, _ = seed_listeners(db_url)
    _, admin = user_with_token(engine, "root", admin=True)
    engine.dispose()
    with graphql_client(make_settings(db_url, tmp_path)) as client:
        job = client.gql(RUN, token=admin, kind="WEEKLY_EXPLORATION", day=DAY)["data"]["runAggregation"]
        inprocess_runner().wait(timeout=30)
        done = client.gql(JOB, token=admin, id=job["id"])["data"]["job"]
    assert job["name"] == "jobs.generated_playlists.generate_weekly_exploration"
    assert done["result"] == {"kind": "weekly_exploration", "for": "2024-05-06", "users": 1, "tracks": 50}
