"""Accounts and bearer tokens: cheap argon2 settings, users made straight in the database,
sign-up and log-in mutations."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from domain.accounts.tables import AuthToken, User
from domain.accounts.tokens import issue_token
from domain.accounts.users import NewAccount, create_account
from domain.db import session_scope
from domain.playlists.tables import Playlist
from domain.settings import AuthSettings
from jobs.demo_data import UNUSABLE_PASSWORD
from tests.support.settings import make_settings

FAST_AUTH = {"argon2_time_cost": 1, "argon2_memory_cost_kib": 1024, "argon2_parallelism": 1}
PASSWORD = "blue-velvet-42"

SIGN_UP = """
mutation($nickname: String!, $name: String!, $birthDate: Date!, $gender: Gender!, $password: String!) {
  signUp(nickname: $nickname, name: $name, birthDate: $birthDate, gender: $gender, password: $password) {
    token expiresAt user { id nickname name birthDate gender isAdmin ageGroup }
  }
}
"""
LOG_IN = """
mutation($nickname: String!, $password: String!) {
  logIn(nickname: $nickname, password: $password) { token user { nickname } }
}
"""


def account_settings(db_url: str, tmp_path, **auth):
    """Test settings with a cheap argon2 cost and the given auth overrides."""
    return make_settings(db_url, tmp_path, auth=AuthSettings(**{**FAST_AUTH, **auth}))


def sign_up_vars(nickname: str = "minji", **overrides) -> dict:
    """Valid signUp variables, with ``overrides``."""
    return {"nickname": nickname, "name": "Kim Minji", "birthDate": "1999-03-15", "gender": "FEMALE",
            "password": PASSWORD, **overrides}


def make_user(engine, nickname: str, *, admin: bool = False, birth_date: date = date(1990, 1, 10),
              gender: str = "MALE") -> tuple[int, str]:
    """An account created straight in the database, and a bearer token of it."""
    with session_scope(engine) as session:
        user = create_account(session, NewAccount(nickname, nickname.title(), birth_date, gender, PASSWORD, admin),
                              AuthSettings(**FAST_AUTH))
        session.flush()
        return user.id, issue_token(session, user.id)


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


def user_with_token(engine, nickname: str, admin: bool = False) -> tuple[int, str]:
    """A new user (an admin when asked) and a bearer token of theirs."""
    user_id = new_user(engine, nickname)
    if admin:
        with engine.begin() as conn:
            conn.execute(sa.update(User).where(User.id == user_id).values(is_admin=True))
    return user_id, sign_in(engine, user_id)
