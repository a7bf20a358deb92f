"""A small demo database with trained engines and signed-in users, for recommendation tests."""

from __future__ import annotations

import hashlib
import secrets
import shutil
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session

from domain.accounts.tables import AuthToken, User
from domain.db import create_db_engine
from domain.playlists.tables import Playlist
from jobs.demo_data import UNUSABLE_PASSWORD, DemoConfig, seed_demo

SMALL_DEMO = DemoConfig(tracks=500, artists=60, users=200, plays_per_user=(10, 30))
FAST_ENGINES = ["content_gmm", "demographic_popular", "svd"]


def sign_in(engine, user_id: int) -> str:
    """A valid bearer token for ``user_id``."""
    token = secrets.token_urlsafe(24)
    with Session(engine) as session:
        session.add(AuthToken(user_id=user_id, token_hash=hashlib.sha256(token.encode()).hexdigest(),
                              expires_at=datetime.now(UTC) + timedelta(hours=1)))
        session.commit()
    return token


def new_user(engine, nickname: str, gender: str = "FEMALE", birth: date = date(2002, 5, 1)) -> int:
    """A user with no plays and an empty default playlist (a cold start)."""
    with Session(engine) as session:
        user = User(nickname=nickname, name=nickname, birth_date=birth, gender=gender, password_hash=UNUSABLE_PASSWORD)
        session.add(user)
        session.flush()
        session.add(Playlist(user_id=user.id, name="My playlist", is_default=True))
        session.commit()
        return user.id


def small_demo_database(directory, sqlite_template):
    """A migrated SQLite copy in ``directory`` seeded with the small demo: ``(url, engine)``."""
    path = directory / "demo.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    engine = create_db_engine(url)
    seed_small_demo(engine)
    return url, engine


def seed_small_demo(engine) -> None:
    """Seed the small demo with plays ending now."""
    seed_demo(engine, SMALL_DEMO, now=datetime.now(UTC).replace(microsecond=0))
