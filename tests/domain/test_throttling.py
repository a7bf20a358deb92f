"""Log-in throttling under concurrency: of many simultaneous attempts, exactly the limit is checked."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import Session

from domain.accounts import users
from domain.db import create_db_engine
from domain.settings import AuthSettings
from tests.support.accounts import FAST_AUTH, make_user

ATTEMPTS = 40
LIMIT = 10


@pytest.mark.timeout(120)
def test_concurrent_wrong_passwords_are_checked_exactly_up_to_the_limit(db_url, monkeypatch):
    engine = create_db_engine(db_url, pool_size=ATTEMPTS, max_overflow=0)
    make_user(engine, "minji")
    auth = AuthSettings(**FAST_AUTH, login_max_failures=LIMIT)
    checked = []
    real_verify = users.verify_password

    def slow_verify(stored, password, settings):
        checked.append(password)  # list.append is atomic
        time.sleep(0.05)  # as long as a real argon2 check, so the attempts overlap
        return real_verify(stored, password, settings)

    monkeypatch.setattr(users, "verify_password", slow_verify)
    start = threading.Barrier(ATTEMPTS)

    def attempt(_) -> int | None:
        start.wait()
        with Session(engine, expire_on_commit=False) as session:  # as the API's Context.run does
            outcome = users.log_in(session, "minji", "wrong-password-1", "198.51.100.1", auth)
            session.commit()
        assert outcome.user is None
        return outcome.retry_after

    try:
        with ThreadPoolExecutor(ATTEMPTS) as pool:
            waits = list(pool.map(attempt, range(ATTEMPTS)))
    finally:
        engine.dispose()
    assert len(checked) == LIMIT
    assert sum(wait is None for wait in waits) == LIMIT
    assert all(wait > 0 for wait in waits if wait is not None)
