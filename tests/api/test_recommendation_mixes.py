"""Named mixes (default, learned), music-list rules and recommendations that follow new plays."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from domain.catalog.tables import TrackArtist
from domain.plays.tables import PlayEvent
from domain.settings import EngineWeight, RecommenderSettings
from jobs.retrain import train_engines
from tests.support.accounts import sign_in
from tests.support.activity import add_plays
from tests.support.demo import small_demo_database
from tests.support.graphql import error_codes, graphql_client
from tests.support.settings import make_settings

ENGINES = ["demographic_popular", "item_knn", "svd"]
QUERY = """
query($k: Int!, $name: String, $cap: Int, $skip: Int) {
  recommendations(k: $k, mixName: $name, maxPerArtist: $cap, skipPlayedDays: $skip) {
    mixId
    items { track { id artists { id } } score reason contributions { engine score } }
  }
}
"""


def settings_for(url, tmp_path):
    mix = [EngineWeight(engine=n, weight=1.0) for n in ENGINES]
    return make_settings(url, tmp_path, recommenders=RecommenderSettings(default_mix=mix))


@pytest.fixture(scope="module")
def trained(tmp_path_factory, sqlite_template):
    directory = tmp_path_factory.mktemp("mixes")
    url, engine = small_demo_database(directory, sqlite_template)
    summary = train_engines([*ENGINES, "learned"], settings=settings_for(url, directory), db_engine=engine)
    assert summary["learned"]["status"] == "active", summary["learned"]
    yield url, engine, summary
    engine.dispose()


def recommend(url, engine, tmp_path, user_id, **variables):
    with graphql_client(settings_for(url, tmp_path)) as client:
        body = client.gql(QUERY, token=sign_in(engine, user_id), **{"k": 10} | variables)
    return body


def test_the_learned_mix_is_stored_and_served_with_its_contributions(trained, tmp_path):
    url, engine, summary = trained
    assert set(summary["learned"]["metrics"]) >= {"weight_item_knn", "weight_svd", "blend_val_hr"}
    result = recommend(url, engine, tmp_path, 4, name="learned")["data"]["recommendations"]
    assert result["mixId"] == "learned"
    assert len(result["items"]) == 10
    mixed = [i for i in result["items"] if {c["engine"] for c in i["contributions"]} & set(ENGINES)]
    assert mixed, "the learned mix served nothing from its engines"
    for item in mixed:
        assert item["score"] == pytest.approx(sum(c["score"] for c in item["contributions"]))
        assert item["reason"]
    default = recommend(url, engine, tmp_path, 4, name="default")["data"]["recommendations"]
    assert default["mixId"] == "default"


def test_unknown_mix_names_are_user_errors(trained, tmp_path):
    url, engine, _ = trained
    body = recommend(url, engine, tmp_path, 4, name="nope")
    assert error_codes(body) == ["BAD_USER_INPUT"] and "learned" in body["errors"][0]["message"]
    assert error_codes(recommend(url, engine, tmp_path, 4, cap=-1)) == ["BAD_USER_INPUT"]
    assert error_codes(recommend(url, engine, tmp_path, 4, skip=0)) == ["BAD_USER_INPUT"]


def first_artists(items) -> Counter:
    return Counter(i["track"]["artists"][0]["id"] for i in items if i["track"]["artists"])


@pytest.mark.parametrize("cap", [1, 2])
def test_at_most_n_tracks_per_artist(trained, tmp_path, cap):
    url, engine, _ = trained
    items = recommend(url, engine, tmp_path, 5, k=30, cap=cap)["data"]["recommendations"]["items"]
    assert len(items) == 30
    with engine.connect() as conn:
        rows = conn.execute(sa.select(TrackArtist.track_id, TrackArtist.artist_id, TrackArtist.position)).all()
    first = {}
    for track, artist, position in sorted(rows, key=lambda r: r[2], reverse=True):
        first[track] = artist
    counts = Counter(first[int(i["track"]["id"])] for i in items)
    assert max(counts.values()) <= cap


def test_skip_played_days_leaves_out_recent_plays(trained, tmp_path):
    url, engine, _ = trained
    plain = recommend(url, engine, tmp_path, 6, k=10, cap=0)["data"]["recommendations"]["items"]
    played = int(plain[0]["track"]["id"])
    add_plays(engine, [(6, played, datetime.now(UTC))])
    items = recommend(url, engine, tmp_path, 6, k=10, cap=0, skip=1)["data"]["recommendations"]["items"]
    assert played not in [int(i["track"]["id"]) for i in items]


def test_new_plays_change_recommendations_without_retraining(trained, tmp_path):
    url, engine, _ = trained
    user = 7
    before = recommend(url, engine, tmp_path, user, k=10, cap=0)["data"]["recommendations"]["items"]
    with engine.connect() as conn:
        own = set(conn.execute(sa.select(PlayEvent.track_id).where(PlayEvent.user_id == user)).scalars())
        listeners = conn.execute(
            sa.select(PlayEvent.user_id).where(PlayEvent.user_id != user).group_by(PlayEvent.user_id)
            .order_by(sa.func.count().desc()).limit(1)).scalar_one()
        theirs = [t for t in conn.execute(sa.select(PlayEvent.track_id).where(PlayEvent.user_id == listeners)
                                          .distinct()).scalars() if t not in own][:15]
    now = datetime.now(UTC)
    add_plays(engine, [(user, track, now) for track in theirs for _ in range(5)])
    after = recommend(url, engine, tmp_path, user, k=10, cap=0)["data"]["recommendations"]["items"]
    ids = lambda items: [int(i["track"]["id"]) for i in items]  # noqa: E731
    assert ids(after) != ids(before)
    assert not set(ids(after)) & set(theirs)  # what the user now plays is not recommended back
