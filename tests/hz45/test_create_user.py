"""``hz45 create-user``: password from HZ45_PASSWORD or a hidden prompt, same rules as signUp."""

from __future__ import annotations

from datetime import date

import pytest
from click.testing import CliRunner
from sqlmodel import Session, select

from domain.accounts.passwords import verify_password
from domain.accounts.tables import User
from domain.playlists.tables import Playlist
from domain.settings import AuthSettings
from hz45.cli import main
from tests.support.accounts import FAST_AUTH

PASSWORD = "operate-safely-77"


@pytest.fixture
def env(db_url):
    return {"DATABASE_URL": db_url, **{f"HZ45_AUTH__{k.upper()}": str(v) for k, v in FAST_AUTH.items()}}


def create_user(env, *args, password=PASSWORD, stdin=None):
    variables = {**env, "HZ45_PASSWORD": password} if password else env
    return CliRunner().invoke(main, ["create-user", *args], env=variables, input=stdin)


def users(engine) -> list[User]:
    with Session(engine) as session:
        return list(session.exec(select(User)).all())


def test_creates_an_admin_with_a_default_playlist(env, db_engine):
    result = create_user(env, "root", "--admin", "--name", "Site Admin", "--birth-date", "1980-02-03",
                         "--gender", "FEMALE")
    assert result.exit_code == 0, result.output
    assert "created admin user root" in result.output
    [user] = users(db_engine)
    assert (user.nickname, user.name, user.birth_date, user.gender, user.is_admin) == (
        "root", "Site Admin", date(1980, 2, 3), "FEMALE", True)
    assert user.password_hash.startswith("$argon2id$") and ",t=1," in user.password_hash
    assert verify_password(user.password_hash, PASSWORD, AuthSettings(**FAST_AUTH))
    with Session(db_engine) as session:
        playlists = session.exec(select(Playlist.name, Playlist.is_default).where(Playlist.user_id == user.id)).all()
    assert [tuple(p) for p in playlists] == [("My playlist", True)]


def test_without_admin_flag_and_with_defaults(env, db_engine):
    assert create_user(env, "listener").exit_code == 0
    [user] = users(db_engine)
    assert (user.name, user.gender, user.is_admin) == ("listener", "OTHER", False)


def test_asks_for_the_password_twice_when_not_in_the_environment(env, db_engine):
    result = create_user(env, "asked", password=None, stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output  # hidden input
    [user] = users(db_engine)
    assert verify_password(user.password_hash, PASSWORD, AuthSettings(**FAST_AUTH))


@pytest.mark.parametrize(("args", "password", "reason"), [
    (["weak"], "1234", "too short"),
    (["weak"], "password", "too common"),
    (["bad nick"], PASSWORD, "nickname"),
    (["old", "--birth-date", "1800-01-01"], PASSWORD, "birth date"),
])
def test_invalid_accounts_fail_with_one_line(env, db_engine, args, password, reason):
    result = create_user(env, *args, password=password)
    assert result.exit_code == 1
    assert result.output.startswith("error: ") and result.output.count("\n") == 1
    assert reason in result.output.lower()
    assert users(db_engine) == []


def test_nickname_must_be_free(env, db_engine):
    assert create_user(env, "taken").exit_code == 0
    result = create_user(env, "taken", "--admin")
    assert result.exit_code == 1 and "is taken" in result.output
    assert [u.is_admin for u in users(db_engine)] == [False]


def test_unknown_gender_is_a_usage_error(env, db_engine):
    result = create_user(env, "someone", "--gender", "ROBOT")
    assert result.exit_code == 2 and users(db_engine) == []
