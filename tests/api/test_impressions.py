"""Impression logging: batched writes, a full buffer that drops instead of blocking, the lifespan's
writer, and radio answers logged like recommendations."""

from __future__ import annotations

import logging
import time

import pytest
import sqlalchemy as sa

from domain.db import create_db_engine
from domain.experiments.impressions import ImpressionBuffer, experiment_of, log_impressions
from domain.experiments.tables import RecommendationImpression
from domain.settings import EngineWeight, RecommenderSettings
from jobs.retrain import train_engines
from tests.support.accounts import new_user, sign_in
from tests.support.activity import seed_activity
from tests.support.demo import small_demo_database
from tests.support.graphql import graphql_client
from tests.support.settings import make_settings

TABLE = RecommendationImpression.__table__
ARMS = {"ab": {"a": [EngineWeight(engine="svd", weight=1.0)], "b": [EngineWeight(engine="als", weight=1.0)]}}


def impression_rows(engine) -> list[tuple]:
    with engine.connect() as conn:
        return conn.execute(sa.select(TABLE.c.user_id, TABLE.c.mix_id, TABLE.c.experiment, TABLE.c.arm,
                                      TABLE.c.track_id, TABLE.c.position, TABLE.c.surface)
                            .order_by(TABLE.c.id)).all()


class InsertCounter:
    """Counts INSERT statements into the impression table while attached to ``engine``."""

    def __init__(self, engine) -> None:
        self.engine, self.count = engine, 0

    def __enter__(self) -> InsertCounter:
        sa.event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO RECOMMENDATION_IMPRESSION"):
            self.count += 1


@pytest.fixture
def activity(sqlite_url):
    engine = create_db_engine(sqlite_url)
    tracks, users = seed_activity(engine)
    yield engine, tracks, users
    engine.dispose()


def test_experiment_of_names_configured_arms_only():
    assert experiment_of("ab:a", ARMS) == ("ab", "a")
    assert experiment_of("ab:c", ARMS) == (None, None)
    assert experiment_of("radio:low", ARMS) == (None, None)
    assert experiment_of("default", ARMS) == (None, None)


def test_impressions_wait_for_the_flush_and_go_in_one_insert_per_batch(activity):
    engine, tracks, (ana, bo, cy) = activity
    buffer = ImpressionBuffer(engine, RecommenderSettings(experiments=ARMS, impression_flush_rows=4))
    with InsertCounter(engine) as inserts:
        buffer.log(ana, "ab:a", tracks[:3], "recommendations")
        buffer.log(bo, "ab:b", tracks[:2], "recommendations")
        buffer.log(cy, "default", tracks[3:], "recommendations")
        log_impressions(None, cy, "default", tracks, "recommendations")  # an app without a buffer: nothing
        assert inserts.count == 0 and buffer.pending() == 7 and impression_rows(engine) == []
        assert buffer.flush() == 7
        assert inserts.count == 2  # 7 rows, at most 4 per INSERT
        assert buffer.flush() == 0 and inserts.count == 2
        log_impressions(buffer, ana, "ab:a", tracks[3:4], "radio")
        assert buffer.flush() == 1 and inserts.count == 3
    assert impression_rows(engine) == [
        (ana, "ab:a", "ab", "a", tracks[0], 1, "recommendations"),
        (ana, "ab:a", "ab", "a", tracks[1], 2, "recommendations"),
        (ana, "ab:a", "ab", "a", tracks[2], 3, "recommendations"),
        (bo, "ab:b", "ab", "b", tracks[0], 1, "recommendations"),
        (bo, "ab:b", "ab", "b", tracks[1], 2, "recommendations"),
        (cy, "default", None, None, tracks[3], 1, "recommendations"),
        (cy, "default", None, None, tracks[4], 2, "recommendations"),
        (ana, "ab:a", "ab", "a", tracks[3], 1, "radio"),
    ]
    assert (buffer.written, buffer.dropped) == (8, 0)


def test_a_full_buffer_drops_and_counts_instead_of_blocking(activity, caplog):
    engine, tracks, (ana, *_) = activity
    buffer = ImpressionBuffer(engine, RecommenderSettings(impression_buffer_rows=4))
    with caplog.at_level(logging.WARNING, "hz45.experiments"):
        buffer._flush_lock.acquire()  # a write in progress must not hold up serving
        try:
            started = time.monotonic()
            buffer.log(ana, "default", tracks[:3], "recommendations")
            buffer.log(ana, "default", tracks[:3], "recommendations")
            buffer.log(ana, "default", tracks[:3], "recommendations")
            assert time.monotonic() - started < 0.5
        finally:
            buffer._flush_lock.release()
    assert (buffer.pending(), buffer.dropped) == (4, 5)
    assert len([r for r in caplog.records if "dropping" in r.message]) == 1  # warned once, not per list
    assert buffer.flush() == 4 and len(impression_rows(engine)) == 4
    buffer.log(ana, "default", tracks[:2], "recommendations")
    assert (buffer.pending(), buffer.dropped) == (2, 5)


def test_a_failed_write_is_counted_and_serving_goes_on(activity):
    engine, tracks, (ana, *_) = activity
    buffer = ImpressionBuffer(engine, RecommenderSettings())
    buffer.log(ana, "default", [tracks[0], 999_999], "recommendations")  # no such track: the batch fails
    assert buffer.flush() == 0
    assert (buffer.dropped, buffer.pending()) == (2, 0) and impression_rows(engine) == []
    buffer.log(ana, "default", tracks[:1], "recommendations")
    assert buffer.flush() == 1 and buffer.written == 1


@pytest.fixture(scope="module")
def radio_db(tmp_path_factory, sqlite_template):
    """The small demo with the content engine trained (what radio needs)."""
    url, engine = small_demo_database(tmp_path_factory.mktemp("impressions"), sqlite_template)
    train_engines(["content_gmm"], settings=make_settings(url), db_engine=engine)
    yield url, engine
    engine.dispose()


RADIO = "query($k: Int) { radio(seedTrackId: \"1\", k: $k) { mixId items { track { id } } } }"


def test_a_radio_answer_is_one_impression_per_track(radio_db, tmp_path):
    url, engine = radio_db
    with engine.begin() as conn:
        conn.execute(sa.delete(TABLE))
    user = new_user(engine, "radio_listener")
    # a long interval: the rows must come from the flush at shutdown
    settings = make_settings(url, tmp_path, recommenders=RecommenderSettings(impression_flush_seconds=3600))
    with graphql_client(settings) as client:
        answer = client.gql(RADIO, token=sign_in(engine, user), k=8)["data"]["radio"]
        assert client.client.app.state.impressions.pending() == len(answer["items"])
    served = [int(i["track"]["id"]) for i in answer["items"]]
    assert len(served) == 8 and served[0] == 1
    assert impression_rows(engine) == [(user, "radio:medium", None, None, track, position, "radio")
                                       for position, track in enumerate(served, start=1)]


def test_the_lifespan_writer_flushes_on_its_interval(radio_db, tmp_path):
    url, engine = radio_db
    with engine.begin() as conn:
        conn.execute(sa.delete(TABLE))
    user = new_user(engine, "radio_regular")
    settings = make_settings(url, tmp_path, recommenders=RecommenderSettings(impression_flush_seconds=0.05))
    with graphql_client(settings) as client:
        served = client.gql(RADIO, token=sign_in(engine, user), k=5)["data"]["radio"]["items"]
        deadline = time.monotonic() + 10
        while len(impression_rows(engine)) < len(served) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(impression_rows(engine)) == len(served) == 5  # written while the app still runs
