"""The recommender's model snapshot: swapped whole while requests read it, never changed in place."""

from __future__ import annotations

import dataclasses
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from domain.accounts.tables import User
from domain.recommendations.model_store import activate, deactivate, versions
from domain.recommendations.service import RecommenderService
from domain.recommendations.user_context import user_context
from jobs.retrain import train_engines
from tests.support.demo import small_demo_database
from tests.support.settings import make_settings

ENGINES = ["demographic_popular", "svd"]


@pytest.fixture(scope="module")
def two_versions_each(tmp_path_factory, sqlite_template):
    url, engine = small_demo_database(tmp_path_factory.mktemp("snapshot"), sqlite_template)
    settings = make_settings(url)
    for _ in range(2):
        train_engines(ENGINES, settings=settings, db_engine=engine, force=True)
    yield settings, engine
    engine.dispose()


def test_a_snapshot_cannot_be_changed_in_place(two_versions_each):
    settings, engine = two_versions_each
    service = RecommenderService(settings, engine)
    service.refresh()
    snapshot = service.snapshot
    with pytest.raises(TypeError):
        snapshot.models["svd"] = None  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        snapshot.learned = None  # type: ignore[misc]
    assert service.refresh() == [] and service.snapshot.models["svd"] is snapshot.models["svd"]  # reused


def test_requests_during_swaps_always_get_full_answers(two_versions_each):
    settings, engine = two_versions_each
    service = RecommenderService(settings, engine)
    service.refresh()
    mix = service.resolve_mix(None, None)
    with Session(engine) as session:
        contexts = [user_context(session, session.get(User, uid), 7) for uid in range(1, 9)]
        ids = {r.engine: [v.id for v in versions(session, r.engine)] for r in versions(session)}
    stop = threading.Event()
    swapped = [0]

    def swap_versions() -> int:
        swaps = 0
        while not stop.is_set():
            with Session(engine) as session:  # roll svd back and forth, take the other out and in
                activate(session, ids["svd"][swaps % 2])
                if swaps % 3 == 0:
                    deactivate(session, "demographic_popular")
                else:
                    activate(session, ids["demographic_popular"][0])
                session.commit()
            service.refresh()
            swaps += 1
            swapped[0] = swaps
        return swaps

    def serve(context) -> list[int]:
        # at least 15 answers each, and on until the versions have been swapped a few times
        lengths = []
        while len(lengths) < 15 or (swapped[0] < 3 and len(lengths) < 5000):
            lengths.append(len(service.recommend(context, 10, mix, set())))
        return lengths

    with ThreadPoolExecutor(9) as pool:
        swapper = pool.submit(swap_versions)
        answers = [n for lengths in pool.map(serve, contexts) for n in lengths]
        stop.set()
        assert swapper.result() >= 2
    assert answers == [10] * len(answers)
    assert all(service.status(name) in ("READY", "NOT_TRAINED") for name in ENGINES)


def test_the_first_artist_of_every_track_is_read_with_the_first_models(two_versions_each):
    settings, engine = two_versions_each
    service = RecommenderService(settings, engine)
    assert service._artists == {}
    service.refresh()
    assert service._artists_read_upto > 0
    with engine.connect() as conn:
        credits = conn.execute(sa.text("select track_id, artist_id, position from track_artist")).all()
    first = {}
    for track, artist, position in sorted(credits, key=lambda r: (r[0], r[2])):
        first.setdefault(track, artist)
    assert service._artists == first


def test_a_track_added_after_the_catalog_was_read_is_looked_up(two_versions_each):
    import numpy as np

    settings, engine = two_versions_each
    service = RecommenderService(settings, engine)
    service.refresh()
    with engine.begin() as conn:
        track = conn.execute(sa.text("select * from track order by id limit 1")).mappings().one()
        artist = conn.execute(sa.text("select artist_id from track_artist where track_id = :t"), {"t": track["id"]}).scalar()
        new_id = service._artists_read_upto + 1
        row = {**track, "id": new_id, "spotify_id": "AddedLater000000000000", "name": "Added Later"}
        conn.execute(sa.text(f"insert into track ({', '.join(row)}) values ({', '.join(':' + k for k in row)})"), row)
        conn.execute(sa.text("insert into track_artist (track_id, artist_id, position) values (:t, :a, 0)"),
                     {"t": new_id, "a": artist})
    try:
        assert service._artists_of(np.array([new_id]))[new_id] == artist
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("delete from track_artist where track_id = :t"), {"t": new_id})
            conn.execute(sa.text("delete from track where id = :t"), {"t": new_id})
