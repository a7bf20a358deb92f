"""radio over GraphQL with the content engine trained on the small demo: the sequence's rules,
artist radios, adventurous levels and errors, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from domain.catalog.tables import AudioFeatures, Track, TrackArtist
from domain.db import create_db_engine
from jobs.retrain import train_engines
from tests.support.accounts import new_user, sign_in
from tests.support.activity import add_plays
from tests.support.demo import seed_small_demo, small_demo_database
from tests.support.graphql import error_codes, graphql_client
from tests.support.settings import make_settings

RADIO = """
query($track: ID, $artist: ID, $k: Int, $level: Adventurousness) {
  radio(seedTrackId: $track, seedArtistId: $artist, k: $k, adventurous: $level) {
    mixId
    seedTrack { id name }
    seedArtist { id name }
    items { track { id name } score reason engine }
  }
}
"""


def catalog_facts(engine) -> dict[int, tuple[int, int | None, float | None]]:
    """Per track: (first artist, primary genre, tempo)."""
    with engine.connect() as conn:
        artists = dict(conn.execute(sa.select(TrackArtist.track_id, TrackArtist.artist_id)
                                    .order_by(TrackArtist.track_id, TrackArtist.position.desc())).all())
        rows = conn.execute(sa.select(Track.id, Track.primary_genre_id, AudioFeatures.tempo)
                            .outerjoin(AudioFeatures, AudioFeatures.track_id == Track.id)).all()
    return {track: (artists[track], genre, tempo) for track, genre, tempo in rows}


def assert_listenable(items, facts, k):
    ids = [int(i["track"]["id"]) for i in items]
    assert 1 < len(ids) <= k and len(set(ids)) == len(ids)
    artists = [facts[t][0] for t in ids]
    for first in range(len(artists) - 2):
        assert len(set(artists[first:first + 3])) == 3, f"an artist repeats within 3 tracks at {first}: {artists}"


def test_radio_end_to_end(db_url, tmp_path):
    engine = create_db_engine(db_url)
    seed_small_demo(engine)
    settings = make_settings(db_url, tmp_path)
    train_engines(["content_gmm"], settings=settings, db_engine=engine)
    facts = catalog_facts(engine)
    user = new_user(engine, "radiohead")
    token = sign_in(engine, user)
    with engine.connect() as conn:
        artist_id = conn.execute(sa.select(TrackArtist.artist_id).group_by(TrackArtist.artist_id)
                                 .order_by(sa.func.count().desc(), TrackArtist.artist_id).limit(1)).scalar_one()
    with graphql_client(settings) as client:
        by_track = client.gql(RADIO, token=token, track="1", k=20)["data"]["radio"]
        by_artist = client.gql(RADIO, token=token, artist=str(artist_id), k=10, level="LOW")["data"]["radio"]
    engine.dispose()
    assert by_track["mixId"] == "radio:medium" and by_track["seedTrack"]["id"] == "1" and by_track["seedArtist"] is None
    items = by_track["items"]
    assert items[0]["track"]["id"] == "1" and items[0]["engine"] == "seed"
    assert {i["engine"] for i in items[1:]} == {"content_gmm"}
    assert all(i["reason"] for i in items)
    assert len(items) == 20
    assert_listenable(items, facts, 20)
    assert by_artist["mixId"] == "radio:low" and by_artist["seedArtist"]["id"] == str(artist_id)
    assert facts[int(by_artist["seedTrack"]["id"])][0] == artist_id
    assert_listenable(by_artist["items"], facts, 10)


@pytest.fixture(scope="module")
def trained(tmp_path_factory, sqlite_template):
    """The small demo with the content engine and a collaborative one (svd) trained."""
    url, engine = small_demo_database(tmp_path_factory.mktemp("radio"), sqlite_template)
    train_engines(["content_gmm", "svd"], settings=make_settings(url), db_engine=engine)
    yield url, engine, catalog_facts(engine)
    engine.dispose()


def radio(url, tmp_path, engine, **variables):
    with graphql_client(make_settings(url, tmp_path)) as client:
        return client.gql(RADIO, token=sign_in(engine, 1), **variables)


def test_the_order_is_smoother_than_similarity_order(trained, tmp_path):
    url, engine, facts = trained
    items = radio(url, tmp_path, engine, track="1", k=25)["data"]["radio"]["items"]
    tempos = [facts[int(i["track"]["id"])][2] for i in items]
    by_score = [tempos[0]] + [tempos[1:][n] for n in sorted(range(len(items) - 1), key=lambda n: -items[1:][n]["score"])]
    ordered = sum(abs(a - b) for a, b in zip(tempos, tempos[1:])) / (len(tempos) - 1)
    unordered = sum(abs(a - b) for a, b in zip(by_score, by_score[1:])) / (len(by_score) - 1)
    assert ordered < unordered, f"mean absolute tempo step: radio {ordered:.1f} BPM, by similarity {unordered:.1f} BPM"


def test_adventurous_levels_give_different_pools(trained, tmp_path):
    url, engine, facts = trained
    answers = {level: radio(url, tmp_path, engine, track="1", k=20, level=level)["data"]["radio"]
               for level in ("LOW", "MEDIUM", "HIGH")}
    pools = {level: [int(i["track"]["id"]) for i in a["items"][1:]] for level, a in answers.items()}
    seed_artist, seed_genre = facts[1][:2]

    def share(level, column, value):
        return sum(facts[t][column] == value for t in pools[level]) / len(pools[level])

    assert pools["LOW"] != pools["HIGH"] and set(pools["LOW"]) != set(pools["HIGH"])
    assert share("LOW", 1, seed_genre) >= share("MEDIUM", 1, seed_genre) >= share("HIGH", 1, seed_genre)
    assert share("LOW", 1, seed_genre) > share("HIGH", 1, seed_genre)
    assert share("HIGH", 0, seed_artist) == 0  # HIGH: the seed is the only track of its artist
    assert len({facts[t][0] for t in pools["HIGH"]}) == len(pools["HIGH"])  # one track per artist
    assert {a["mixId"] for a in answers.values()} == {"radio:low", "radio:medium", "radio:high"}

    def genres(level):
        return {facts[t][1] for t in pools[level]}

    assert len(genres("HIGH")) > len(genres("LOW")), (genres("HIGH"), genres("LOW"))


def test_content_and_collaborative_neighbours_both_play(trained, tmp_path):
    url, engine, facts = trained
    items = radio(url, tmp_path, engine, track="1", k=25)["data"]["radio"]["items"]
    engines = [i["engine"] for i in items]
    assert engines[0] == "seed" and {"content_gmm", "svd"} <= set(engines)
    reasons = {i["engine"]: i["reason"] for i in items}
    assert reasons["content_gmm"] == "sounds like Wild Ghost Dream"
    assert reasons["svd"] == "listeners of Wild Ghost Dream also play it"
    assert_listenable(items, facts, 25)


def test_recently_played_tracks_are_left_out(trained, tmp_path):
    url, engine, _ = trained
    first = [int(i["track"]["id"]) for i in radio(url, tmp_path, engine, track="1", k=10)["data"]["radio"]["items"]]
    add_plays(engine, [(1, track, datetime.now(UTC)) for track in first[1:3]])
    again = [int(i["track"]["id"]) for i in radio(url, tmp_path, engine, track="1", k=10)["data"]["radio"]["items"]]
    assert again[0] == 1 and not set(first[1:3]) & set(again)


@pytest.mark.parametrize(("variables", "code"), [
    ({}, "BAD_USER_INPUT"),
    ({"track": "1", "artist": "1"}, "BAD_USER_INPUT"),
    ({"track": "1", "k": 0}, "BAD_USER_INPUT"),
    ({"track": "1", "k": 101}, "BAD_USER_INPUT"),
    ({"track": "99999999"}, "NOT_FOUND"),
    ({"track": "abc"}, "NOT_FOUND"),
    ({"artist": "99999999"}, "NOT_FOUND"),
    ({"track": "9" * 40}, "BAD_USER_INPUT"),
])
def test_bad_seeds_and_k(trained, tmp_path, variables, code):
    url, engine, _ = trained
    assert error_codes(radio(url, tmp_path, engine, **variables)) == [code]


def test_radio_needs_a_signed_in_user(trained, tmp_path):
    url, _, _ = trained
    with graphql_client(make_settings(url, tmp_path)) as client:
        assert error_codes(client.gql(RADIO, track="1")) == ["UNAUTHENTICATED"]


def test_before_training_radio_says_why(tmp_path, sqlite_template):
    url, engine = small_demo_database(tmp_path, sqlite_template)
    body = radio(url, tmp_path, engine, track="1")
    engine.dispose()
    [error] = body["errors"]
    assert (error["extensions"]["code"], error["extensions"]["reason"]) == ("NOT_READY", "NO_MODEL")
