"""Accounts for the account, playlist, play and authorization tests (cheap argon2 cost)."""

from __future__ import annotations

from datetime import date

from domain.accounts.tokens import issue_token
from domain.accounts.users import NewAccount, create_account
from domain.db import session_scope
from domain.settings import AuthSettings
from tests.api.helpers import make_settings

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
