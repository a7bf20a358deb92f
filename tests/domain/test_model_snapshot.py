"""The recommender's model snapshot: swapped whole while requests read it, never changed in place."""

from __future__ import annotations

import dataclasses
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
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
        return swaps

    def serve(context) -> list[int]:
        return [len(service.recommend(context, 10, mix, set())) for _ in range(15)]

    with ThreadPoolExecutor(9) as pool:
        swapper = pool.submit(swap_versions)
        answers = [n for lengths in pool.map(serve, contexts) for n in lengths]
        stop.set()
        assert swapper.result() >= 2
    assert answers == [10] * len(answers)
    assert all(service.status(name) in ("READY", "NOT_TRAINED") for name in ENGINES)
