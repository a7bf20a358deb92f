"""recommendations, similarTracks and engines through GraphQL, with trained built-in engines."""

from __future__ import annotations

import logging
import pickle
import time

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from domain.playlists.tables import Playlist, PlaylistItem
from domain.recommendations.model_store import activate, deactivate, store_version
from domain.recommendations.service import LEARNED
from domain.settings import EngineWeight, RecommenderSettings
from jobs.retrain import train_engines
from tests.support.accounts import new_user, sign_in
from tests.support.demo import FAST_ENGINES, seed_small_demo, small_demo_database
from tests.support.graphql import error_codes, graphql_client
from tests.support.pickles import CreatesAFile
from tests.support.plugins import install_plugin
from tests.support.settings import make_settings

RECOMMEND = """
query($k: Int!, $mix: [EngineWeightInput!], $seeds: [ID!]) {
  recommendations(k: $k, mix: $mix, seedTrackIds: $seeds) {
    mixId
    items { track { id name } score reason contributions { engine score } }
  }
}
"""


@pytest.fixture(scope="module")
def trained_db(tmp_path_factory, sqlite_template):
    url, engine = small_demo_database(tmp_path_factory.mktemp("rec"), sqlite_template)
    train_engines(FAST_ENGINES, settings=make_settings(url), db_engine=engine)
    yield url, engine
    engine.dispose()


def settings_for(url, tmp_path, **recommenders):
    config = RecommenderSettings(
        default_mix=[EngineWeight(engine=n, weight=1.0) for n in FAST_ENGINES], **recommenders
    )
    return make_settings(url, tmp_path, recommenders=config)


def playlist_tracks(engine, user_id) -> set[int]:
    with engine.connect() as conn:
        return set(conn.execute(sa.select(PlaylistItem.track_id).join(Playlist).where(Playlist.user_id == user_id)).scalars())


def test_recommendations_mix_engines_and_exclude_the_playlist(trained_db, tmp_path):
    url, engine = trained_db
    token = sign_in(engine, 1)
    with graphql_client(settings_for(url, tmp_path)) as client:
        body = client.gql(RECOMMEND, token=token, k=10)
    result = body["data"]["recommendations"]
    assert result["mixId"] == "default"
    items = result["items"]
    ids = [int(i["track"]["id"]) for i in items]
    assert len(ids) == len(set(ids)) == 10
    assert not set(ids) & playlist_tracks(engine, 1)
    scores = [i["score"] for i in items]
    assert scores == sorted(scores, reverse=True)
    for item in items:
        assert item["score"] == pytest.approx(sum(c["score"] for c in item["contributions"]))
        assert item["reason"]
    engines_used = {c["engine"] for i in items for c in i["contributions"]}
    assert len(engines_used) >= 2


def test_content_reason_names_the_seed_track(trained_db, tmp_path):
    url, engine = trained_db
    with engine.connect() as conn:
        seed_id, seed_name = conn.execute(sa.text("select id, name from track order by id limit 1")).one()
    with graphql_client(settings_for(url, tmp_path)) as client:
        body = client.gql(RECOMMEND, token=sign_in(engine, 2), k=5, mix=[{"engine": "content_gmm", "weight": 1}],
                          seeds=[str(seed_id)])
    items = body["data"]["recommendations"]["items"]
    assert body["data"]["recommendations"]["mixId"] == "custom:content_gmm=1"
    assert len(items) == 5 and seed_id not in [int(i["track"]["id"]) for i in items]
    assert items[0]["reason"] == f"because you played {seed_name}"
    assert [c["engine"] for c in items[0]["contributions"]] == ["content_gmm"]


def test_cold_start_user_gets_k_demographic_tracks(trained_db, tmp_path):
    url, engine = trained_db
    user_id = new_user(engine, "brand_new_listener", gender="MALE")
    with graphql_client(settings_for(url, tmp_path)) as client:
        items = client.gql(RECOMMEND, token=sign_in(engine, user_id), k=20)["data"]["recommendations"]["items"]
    assert len(items) == 20
    assert any("men in their 20s" in i["reason"] or "popular" in i["reason"] for i in items)


@pytest.mark.parametrize(
    ("mix", "fragment"),
    [
        ([{"engine": "nope", "weight": 1}], "installed engines: als, content_gmm, demographic_popular, ease, item_knn, ncf, similar_listeners, svd"),
        ([{"engine": "svd", "weight": -1}], "non-negative"),
        ([{"engine": "svd", "weight": 0}], "positive"),
        ([{"engine": "svd", "weight": 1}, {"engine": "svd", "weight": 2}], "only once"),
    ],
)
def test_bad_mixes_are_user_errors(trained_db, tmp_path, mix, fragment):
    url, engine = trained_db
    with graphql_client(settings_for(url, tmp_path)) as client:
        body = client.gql(RECOMMEND, token=sign_in(engine, 1), k=5, mix=mix)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert fragment in body["errors"][0]["message"]


def test_auth_and_argument_errors(trained_db, tmp_path):
    url, engine = trained_db
    with graphql_client(settings_for(url, tmp_path)) as client:
        assert error_codes(client.gql(RECOMMEND, k=5)) == ["UNAUTHENTICATED"]
        assert error_codes(client.gql(RECOMMEND, token="forged", k=5)) == ["UNAUTHENTICATED"]
        token = sign_in(engine, 1)
        assert error_codes(client.gql(RECOMMEND, token=token, k=0)) == ["BAD_USER_INPUT"]
        assert error_codes(client.gql(RECOMMEND, token=token, k=5, seeds=["99999999"])) == ["NOT_FOUND"]


def test_experiment_arms_are_stable_and_split_users(trained_db, tmp_path):
    url, engine = trained_db
    experiments = {"ab1": {
        "content": [EngineWeight(engine="content_gmm", weight=1.0)],
        "collab": [EngineWeight(engine="svd", weight=1.0), EngineWeight(engine="demographic_popular", weight=0.2)],
    }}
    settings = settings_for(url, tmp_path, experiments=experiments, active_experiment="ab1")
    arms = {}
    with graphql_client(settings) as client:
        for user_id in range(1, 21):
            token = sign_in(engine, user_id)
            first = client.gql(RECOMMEND, token=token, k=3)["data"]["recommendations"]["mixId"]
            again = client.gql(RECOMMEND, token=token, k=3)["data"]["recommendations"]["mixId"]
            assert first == again
            arms[user_id] = first
    assert set(arms.values()) == {"ab1:content", "ab1:collab"}


def test_similar_tracks_and_engines(trained_db, tmp_path):
    url, engine = trained_db
    with graphql_client(settings_for(url, tmp_path)) as client:
        similar = client.gql('{ similarTracks(trackId: "1", k: 5) { track { id } score engine } }')["data"]["similarTracks"]
        assert len(similar) == 5 and all(s["engine"] == "content_gmm" for s in similar)
        assert "1" not in [s["track"]["id"] for s in similar]
        assert error_codes(client.gql('{ similarTracks(trackId: "99999999") { score } }')) == ["NOT_FOUND"]
        engines = client.gql("{ engines { name status builtin activeModel { version metrics } } }")["data"]["engines"]
    by_name = {e["name"]: e for e in engines}
    assert set(by_name) == {"als", "content_gmm", "demographic_popular", "ease", "item_knn", "ncf", "similar_listeners", "svd"}
    assert by_name["ncf"]["status"] == "NOT_TRAINED" and by_name["ncf"]["activeModel"] is None
    assert by_name["content_gmm"]["status"] == "READY"
    assert by_name["content_gmm"]["activeModel"]["metrics"]["n_components"] >= 2


def wait_for(condition, timeout=10.0):
    """Poll ``condition`` until it is true; fails after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the background refresh did not publish in time"
        time.sleep(0.05)


def test_a_newly_activated_version_is_swapped_in_by_the_background_task(tmp_path, sqlite_url):
    from domain.db import create_db_engine

    engine = create_db_engine(sqlite_url)
    seed_small_demo(engine)
    settings = settings_for(sqlite_url, tmp_path, refresh_seconds=0.1)
    train_engines(["demographic_popular"], settings=settings, db_engine=engine)
    query = "{ engines { name status activeModel { version } } }"
    with graphql_client(settings) as client:
        def versions():
            return {e["name"]: e["activeModel"] for e in client.gql(query)["data"]["engines"]}

        assert versions()["demographic_popular"] == {"version": 1} and versions()["svd"] is None
        train_engines(["demographic_popular", "svd"], settings=settings, db_engine=engine, force=True)
        wait_for(lambda: versions()["demographic_popular"] == {"version": 2} and versions()["svd"] == {"version": 1})
        with Session(engine) as session:  # an operator takes svd out of service
            deactivate(session, "svd")
            session.commit()
        wait_for(lambda: versions()["svd"] is None)
        assert "svd" not in client.client.app.state.recommender.snapshot.models  # unloaded, not just hidden
    engine.dispose()


def test_no_request_loads_a_model(tmp_path, sqlite_url, monkeypatch):
    from domain.db import create_db_engine
    from domain.recommendations import service as service_module

    engine = create_db_engine(sqlite_url)
    seed_small_demo(engine)
    settings = settings_for(sqlite_url, tmp_path, refresh_seconds=3600)  # no background refresh in this test
    train_engines(["demographic_popular"], settings=settings, db_engine=engine)
    loads = []
    original = service_module.load_artifact
    monkeypatch.setattr(service_module, "load_artifact", lambda *a, **k: loads.append(a) or original(*a, **k))
    token = sign_in(engine, 1)
    with graphql_client(settings) as client:
        assert len(loads) == 1  # at start-up, in the lifespan
        train_engines(["demographic_popular"], settings=settings, db_engine=engine, force=True)
        for _ in range(3):
            assert client.gql(RECOMMEND, token=token, k=5)["data"]["recommendations"]["items"]
            engines = {e["name"]: e for e in client.gql("{ engines { name activeModel { version } } }")["data"]["engines"]}
            assert engines["demographic_popular"]["activeModel"] == {"version": 1}
        assert len(loads) == 1
        client.client.app.state.recommender.refresh()  # what the background task does
        engines = {e["name"]: e for e in client.gql("{ engines { name activeModel { version } } }")["data"]["engines"]}
        assert engines["demographic_popular"]["activeModel"] == {"version": 2} and len(loads) == 2
    engine.dispose()


def test_an_engine_failing_at_serving_time_is_degraded_with_its_last_error(trained_db, tmp_path, monkeypatch):
    from plugins import engine_calls
    from domain.recommendations import service as service_module

    url, engine = trained_db
    original = engine_calls.recommend_items

    def failing_svd(manager, name, *args):
        if name == "svd":
            raise FloatingPointError("factors overflowed")
        return original(manager, name, *args)

    token = sign_in(engine, 1)
    query = "{ engines { name status lastError lastErrorAt } }"
    with graphql_client(settings_for(url, tmp_path)) as client:
        monkeypatch.setattr(service_module, "recommend_items", failing_svd)
        items = client.gql(RECOMMEND, token=token, k=5)["data"]["recommendations"]["items"]
        assert len(items) == 5  # the other engines answer
        engines = {e["name"]: e for e in client.gql(query)["data"]["engines"]}
        assert engines["svd"]["status"] == "DEGRADED"
        assert engines["svd"]["lastError"] == "FloatingPointError: factors overflowed" and engines["svd"]["lastErrorAt"]
        assert engines["content_gmm"]["status"] == "READY" and engines["content_gmm"]["lastError"] is None
        ready = client.client.get("/readyz").json()
        assert ready["status"] == "ok" and "svd DEGRADED (FloatingPointError: factors overflowed)" in ready["checks"]["models"]
        monkeypatch.setattr(service_module, "recommend_items", original)  # it recovers: READY again
        client.gql(RECOMMEND, token=token, k=5)
        engines = {e["name"]: e for e in client.gql(query)["data"]["engines"]}
        assert engines["svd"]["status"] == "READY" and engines["svd"]["lastError"].startswith("FloatingPointError")


def test_an_old_pickle_artifact_is_refused_and_requests_are_served_without_it(tmp_path, sqlite_url, caplog):
    from domain.db import create_db_engine

    engine = create_db_engine(sqlite_url)
    seed_small_demo(engine)
    settings = settings_for(sqlite_url, tmp_path)
    train_engines(["demographic_popular"], settings=settings, db_engine=engine)
    target = tmp_path / "pwned"
    payload = pickle.dumps(CreatesAFile(str(target)))  # what a crafted (or pre-upgrade) row holds
    with Session(engine) as session:
        for name in ("svd", LEARNED):  # forged metrics no real model could beat
            activate(session, store_version(session, name, payload, {}, {"val_rmse": 0.0}).id)
        session.commit()
    mix = [{"engine": "svd", "weight": 1}, {"engine": "demographic_popular", "weight": 1}]
    named = "query($k: Int!) { recommendations(k: $k, mixName: \"learned\") { mixId items { track { id } } } }"
    with caplog.at_level(logging.WARNING, logger="hz45.recommenders"), graphql_client(settings) as client:
        service = client.client.app.state.recommender
        token = sign_in(engine, 1)
        items = client.gql(RECOMMEND, token=token, k=5, mix=mix)["data"]["recommendations"]["items"]
        assert len(items) == 5
        assert {c["engine"] for i in items for c in i["contributions"]} <= {"demographic_popular"}
        assert client.gql(named, token=token, k=5)["data"]["recommendations"]["mixId"] == "default"
        query = "{ engines { name status lastError activeModel { version } } }"
        engines = {e["name"]: e for e in client.gql(query)["data"]["engines"]}
        assert engines["svd"]["status"] == "DEGRADED" and engines["svd"]["activeModel"] is None
        assert "refused" in engines["svd"]["lastError"]
        assert engines["demographic_popular"]["status"] == "READY"
        service.refresh()
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert len([w for w in warnings if w.startswith("svd: refused")]) == 1  # once, not every refresh
        assert len([w for w in warnings if w.startswith("learned: refused")]) == 1
        assert "hz45 train svd" in next(w for w in warnings if w.startswith("svd: refused"))
        # Retraining restores it without --force: a refused active version sets no bar.
        summary = train_engines(["svd"], settings=settings, db_engine=engine)
        assert summary["svd"]["status"] == "active"
        service.refresh()
        engines = {e["name"]: e["status"] for e in client.gql("{ engines { name status } }")["data"]["engines"]}
        assert engines["svd"] == "READY"
    assert not target.exists()
    engine.dispose()


def test_a_third_party_plugin_is_mixed_by_configuration_alone(trained_db, tmp_path, monkeypatch):
    plugin_dir = tmp_path / "site"
    plugin_dir.mkdir()
    install_plugin(plugin_dir, "hz45_random_plugin", "random")
    monkeypatch.syspath_prepend(str(plugin_dir))
    url, engine = trained_db
    settings = make_settings(url, tmp_path, recommenders=RecommenderSettings(
        default_mix=[EngineWeight(engine="random", weight=1.0)], exclude_rated=False))
    summary = train_engines(["random"], settings=settings, db_engine=engine)
    assert summary["random"]["status"] == "active"
    with graphql_client(settings) as client:
        body = client.gql(RECOMMEND, token=sign_in(engine, 3), k=7)
        engines = {e["name"]: e["status"] for e in client.gql("{ engines { name status } }")["data"]["engines"]}
    items = body["data"]["recommendations"]["items"]
    assert len(items) == 7
    assert all([c["engine"] for c in i["contributions"]] == ["random"] for i in items)
    assert items[0]["reason"] == "picked at random"
    assert engines["random"] == "READY"
