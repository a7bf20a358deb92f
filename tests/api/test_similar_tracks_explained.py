"""similarTracks says why it has nothing: no trained model, a track added after training, or a
track without audio features, each a NOT_READY error with a reason."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from domain.catalog.store import ArtistRecord, TrackRecord, upsert_catalog
from domain.catalog.tables import Track
from jobs.retrain import train_engines
from tests.support.demo import small_demo_database
from tests.support.graphql import graphql_client
from tests.support.settings import make_settings

SIMILAR = 'query($id: ID!) { similarTracks(trackId: $id, k: 3) { engine track { id } } }'
FEATURES = {"danceability": 0.7, "energy": 0.8, "key": 1, "loudness": -5.0, "mode": 1, "speechiness": 0.05,
            "acousticness": 0.1, "instrumentalness": 0.0, "liveness": 0.1, "valence": 0.6, "tempo": 120.0,
            "time_signature": 4}


@pytest.fixture(scope="module")
def content_trained(tmp_path_factory, sqlite_template):
    """The small demo with only the content engine trained, then two tracks added: one with audio
    features and one without."""
    url, engine = small_demo_database(tmp_path_factory.mktemp("similar"), sqlite_template)
    train_engines(["content_gmm"], settings=make_settings(url), db_engine=engine)
    artist = ArtistRecord("newartist0001", "New Artist")
    upsert_catalog(engine, [
        TrackRecord("newtrack-with-features", "Fresh Sound", [artist], ["pop"], audio_features=FEATURES),
        TrackRecord("newtrack-without-features", "Silent Sound", [artist], ["pop"], audio_features=None,
                    audio_features_status="unavailable"),
    ])
    with engine.connect() as conn:
        ids = dict(conn.execute(sa.select(Track.spotify_id, Track.id).where(Track.spotify_id.like("newtrack-%"))).all())
    yield url, ids["newtrack-with-features"], ids["newtrack-without-features"]
    engine.dispose()


def error(body: dict) -> dict:
    [only] = body["errors"]
    return {"code": only["extensions"]["code"], "reason": only["extensions"].get("reason"),
            "engines": only["extensions"].get("engines"), "message": only["message"]}


def test_a_known_track_gets_similar_tracks(content_trained, tmp_path):
    url, *_ = content_trained
    with graphql_client(make_settings(url, tmp_path)) as client:
        similar = client.gql(SIMILAR, id="1")["data"]["similarTracks"]
    assert len(similar) == 3 and {s["engine"] for s in similar} == {"content_gmm"}


def test_a_track_added_after_training_is_explained(content_trained, tmp_path):
    url, fresh, _ = content_trained
    with graphql_client(make_settings(url, tmp_path)) as client:
        got = error(client.gql(SIMILAR, id=str(fresh)))
    assert (got["code"], got["reason"], got["engines"]) == ("NOT_READY", "NOT_IN_MODEL", ["content_gmm"])
    assert f"Track {fresh} was added after content_gmm v1 was trained" in got["message"]
    assert 'retrain(engine: "content_gmm")' in got["message"]


def test_a_track_without_audio_features_is_explained(content_trained, tmp_path):
    url, _, silent = content_trained
    with graphql_client(make_settings(url, tmp_path)) as client:
        got = error(client.gql(SIMILAR, id=str(silent)))
    assert (got["code"], got["reason"]) == ("NOT_READY", "NO_AUDIO_FEATURES")
    assert "has no audio features" in got["message"]


def test_before_any_training_the_missing_model_is_explained(tmp_path, sqlite_template):
    url, engine = small_demo_database(tmp_path, sqlite_template)
    engine.dispose()
    with graphql_client(make_settings(url, tmp_path)) as client:
        got = error(client.gql(SIMILAR, id="1"))
        unknown = client.gql(SIMILAR, id="99999999")
    assert (got["code"], got["reason"], got["engines"]) == ("NOT_READY", "NO_MODEL", ["content_gmm"])
    assert unknown["errors"][0]["extensions"]["code"] == "NOT_FOUND"  # a track that does not exist stays NOT_FOUND
