"""Sign-up rules, argon2id hashing, tokens, log-in, log-out and log-in throttling."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select
from starlette.testclient import TestClient

from api.app import create_app
from domain.accounts.demo_logins import DEMO_ADMIN, DEMO_USER, ensure_demo_login
from domain.accounts.passwords import UNUSABLE_PASSWORD, UNUSABLE_PREFIX, verify_password
from domain.accounts.tables import AuthToken, LoginFailure, User
from domain.columns import utcnow
from domain.playlists.tables import Playlist
from domain.settings import AuthSettings
from jobs import demo_data
from tests.support.accounts import (
    FAST_AUTH,
    LOG_IN,
    PASSWORD,
    SIGN_UP,
    account_settings,
    make_user,
    sign_up_vars,
)
from tests.support.graphql import GraphQLClient, error_codes, graphql_client

ME = "{ me { nickname name gender isAdmin ageGroup } }"


@pytest.fixture
def client(db_url, tmp_path):
    with graphql_client(account_settings(db_url, tmp_path)) as client:
        yield client


def violations(body: dict) -> list[tuple[str, str]]:
    assert error_codes(body) == ["BAD_USER_INPUT"], body
    return [(v["field"], v["rule"]) for v in body["errors"][0]["extensions"]["violations"]]


def count(engine, model) -> int:
    with Session(engine) as session:
        return session.exec(select(sa.func.count()).select_from(model)).one()


def test_sign_up_signs_in_and_creates_the_default_playlist(client, db_engine):
    body = client.gql(SIGN_UP, **sign_up_vars())
    payload = body["data"]["signUp"]
    assert payload["user"] == {"id": payload["user"]["id"], "nickname": "minji", "name": "Kim Minji",
                               "birthDate": "1999-03-15", "gender": "FEMALE", "isAdmin": False,
                               "ageGroup": payload["user"]["ageGroup"]}
    today = utcnow().date()
    age = today.year - 1999 - ((today.month, today.day) < (3, 15))
    assert payload["user"]["ageGroup"] == age // 10 * 10
    me = client.gql(ME, token=payload["token"])["data"]["me"]
    assert me["nickname"] == "minji" and me["gender"] == "FEMALE"
    with Session(db_engine) as session:
        user = session.exec(select(User)).one()
        playlists = session.exec(select(Playlist).where(Playlist.user_id == user.id)).all()
    assert [(p.name, p.is_default) for p in playlists] == [("My playlist", True)]


def test_password_is_stored_as_an_argon2id_hash(client, db_engine):
    client.gql(SIGN_UP, **sign_up_vars())
    with Session(db_engine) as session:
        stored = session.exec(select(User.password_hash)).one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


@pytest.mark.parametrize(("password", "rules"), [
    ("Xk9!vq", {"TOO_SHORT"}),
    ("83920174", {"ENTIRELY_NUMERIC"}),
    ("password", {"TOO_COMMON"}),
    ("12345678", {"TOO_COMMON", "ENTIRELY_NUMERIC"}),
    ("minji1234", {"TOO_SIMILAR"}),  # the nickname
    ("kimminji99", {"TOO_SIMILAR"}),  # the name
    ("123", {"TOO_SHORT", "TOO_COMMON", "ENTIRELY_NUMERIC"}),
])
def test_every_broken_password_rule_is_reported_by_name(client, db_engine, password, rules):
    body = client.gql(SIGN_UP, **sign_up_vars(password=password))
    found = violations(body)
    assert {field for field, _ in found} == {"password"}
    assert {rule for _, rule in found} == rules
    messages = [v["message"] for v in body["errors"][0]["extensions"]["violations"]]
    assert all(m in body["errors"][0]["message"] for m in messages)
    assert count(db_engine, User) == 0 and count(db_engine, Playlist) == 0


def test_every_invalid_field_is_reported_together(client, db_engine):
    future = (utcnow().date() + timedelta(days=2)).isoformat()
    body = client.gql(SIGN_UP, **sign_up_vars(nickname="a b", name="  ", birthDate=future, password="short"))
    assert set(violations(body)) == {("nickname", "FORMAT"), ("name", "REQUIRED"), ("birthDate", "IN_FUTURE"),
                                     ("password", "TOO_SHORT")}
    assert count(db_engine, User) == 0


@pytest.mark.parametrize(("overrides", "expected"), [
    ({"nickname": "ab"}, ("nickname", "FORMAT")),
    ({"nickname": "x" * 31}, ("nickname", "FORMAT")),
    ({"nickname": "min ji"}, ("nickname", "FORMAT")),
    ({"name": "x" * 151}, ("name", "FORMAT")),
    ({"name": "tab\there"}, ("name", "FORMAT")),
    ({"birthDate": "1890-01-01"}, ("birthDate", "IMPLAUSIBLE")),
])
def test_field_rules(client, overrides, expected):
    assert violations(client.gql(SIGN_UP, **sign_up_vars(**overrides))) == [expected]


def test_nickname_must_be_unique(client, db_engine):
    assert "errors" not in client.gql(SIGN_UP, **sign_up_vars())
    assert violations(client.gql(SIGN_UP, **sign_up_vars(name="Another Person"))) == [("nickname", "TAKEN")]
    assert count(db_engine, User) == 1


def test_gender_is_an_enum(client, db_engine):
    body = client.gql(SIGN_UP, **sign_up_vars(gender="ROBOT"))
    assert error_codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
    assert count(db_engine, User) == 0


def test_log_in_issues_a_working_token_stored_only_as_a_hash(client, db_engine):
    client.gql(SIGN_UP, **sign_up_vars())
    body = client.gql(LOG_IN, nickname="minji", password=PASSWORD)
    token = body["data"]["logIn"]["token"]
    assert body["data"]["logIn"]["user"] == {"nickname": "minji"}
    assert client.gql(ME, token=token)["data"]["me"]["nickname"] == "minji"
    with Session(db_engine) as session:
        hashes = session.exec(select(AuthToken.token_hash)).all()
    assert hashlib.sha256(token.encode()).hexdigest() in hashes and token not in hashes


@pytest.mark.parametrize(("nickname", "password"), [("minji", "wrong-password-1"), ("nobody", PASSWORD)])
def test_wrong_credentials_are_unauthenticated(client, nickname, password):
    client.gql(SIGN_UP, **sign_up_vars())
    body = client.gql(LOG_IN, nickname=nickname, password=password)
    assert error_codes(body) == ["UNAUTHENTICATED"] and body["data"] is None


def test_accounts_with_an_unusable_password_cannot_log_in(client, db_engine):
    with Session(db_engine) as session:
        session.add(User(nickname="generated", name="G", birth_date=date(2000, 1, 1), gender="OTHER",
                         password_hash=UNUSABLE_PASSWORD))
        session.commit()
    for password in ("", "!unusable", UNUSABLE_PASSWORD, "unusable"):
        assert error_codes(client.gql(LOG_IN, nickname="generated", password=password)) == ["UNAUTHENTICATED"]


def test_missing_malformed_and_expired_tokens_are_anonymous(client, db_engine):
    _, token = make_user(db_engine, "minji")
    assert client.gql(ME, token=token)["data"]["me"]["nickname"] == "minji"
    with Session(db_engine) as session:
        session.execute(sa.update(AuthToken).values(expires_at=utcnow() - timedelta(seconds=1)))
        session.commit()
    for candidate in (token, None, "not-a-token", "x" * 5000):
        assert error_codes(client.gql(ME, token=candidate)) == ["UNAUTHENTICATED"]
    raw = client.client.post("/graphql", json={"query": ME}, headers={"Authorization": "Basic abc"})
    assert error_codes(raw.json()) == ["UNAUTHENTICATED"]


def test_log_out_revokes_only_this_token(client, db_engine):
    _, first = make_user(db_engine, "minji")
    second = client.gql(LOG_IN, nickname="minji", password=PASSWORD)["data"]["logIn"]["token"]
    assert client.gql("mutation { logOut }", token=first) == {"data": {"logOut": True}}
    assert error_codes(client.gql(ME, token=first)) == ["UNAUTHENTICATED"]
    assert client.gql(ME, token=second)["data"]["me"]["nickname"] == "minji"


def test_log_out_everywhere_revokes_every_token(client, db_engine):
    _, first = make_user(db_engine, "minji")
    second = client.gql(LOG_IN, nickname="minji", password=PASSWORD)["data"]["logIn"]["token"]
    _, bystander = make_user(db_engine, "other")
    assert client.gql("mutation { logOut(everywhere: true) }", token=second)["data"]["logOut"] is True
    for token in (first, second):
        assert error_codes(client.gql(ME, token=token)) == ["UNAUTHENTICATED"]
    assert client.gql(ME, token=bystander)["data"]["me"]["nickname"] == "other"


def test_log_in_rehashes_a_password_made_with_other_parameters(db_url, tmp_path, db_engine):
    make_user(db_engine, "minji")  # argon2 time cost 1
    with graphql_client(account_settings(db_url, tmp_path, argon2_time_cost=2)) as client:
        assert "errors" not in client.gql(LOG_IN, nickname="minji", password=PASSWORD)
    with Session(db_engine) as session:
        assert ",t=2," in session.exec(select(User.password_hash)).one()


# -- throttling ------------------------------------------------------------------------

@pytest.fixture
def throttled(db_url, tmp_path, db_engine):
    """An app refusing log-ins after 3 failures in 10 minutes, and clients at two addresses."""
    app = create_app(account_settings(db_url, tmp_path, login_max_failures=3, login_window_seconds=600))
    make_user(db_engine, "minji")
    make_user(db_engine, "jun")
    with TestClient(app, client=("198.51.100.1", 4000)) as first:
        second = TestClient(app, client=("198.51.100.2", 4000))  # shares the running app's state
        yield GraphQLClient(first), GraphQLClient(second)


def fail(client, nickname="minji", times=1) -> None:
    for _ in range(times):
        assert error_codes(client.gql(LOG_IN, nickname=nickname, password="wrong-password-1")) == ["UNAUTHENTICATED"]


def test_too_many_failures_for_a_nickname_are_rate_limited(throttled):
    first, second = throttled
    fail(first, times=2)
    fail(second)
    for client in throttled:  # even the right password, from any address
        body = client.gql(LOG_IN, nickname="minji", password=PASSWORD)
        assert error_codes(body) == ["RATE_LIMITED"]
        assert 0 < body["errors"][0]["extensions"]["retryAfterSeconds"] <= 601
    assert "errors" not in second.gql(LOG_IN, nickname="jun", password=PASSWORD)


def test_too_many_failures_from_one_address_are_rate_limited(throttled):
    first, second = throttled
    for nickname in ("a-one", "b-two", "c-three"):
        fail(first, nickname)
    assert error_codes(first.gql(LOG_IN, nickname="jun", password=PASSWORD)) == ["RATE_LIMITED"]
    assert "errors" not in second.gql(LOG_IN, nickname="jun", password=PASSWORD)


def test_failures_age_out_of_the_window(throttled, db_engine):
    first, _ = throttled
    fail(first, times=3)
    assert error_codes(first.gql(LOG_IN, nickname="minji", password=PASSWORD)) == ["RATE_LIMITED"]
    with Session(db_engine) as session:
        session.execute(sa.update(LoginFailure).values(failed_at=utcnow() - timedelta(seconds=601)))
        session.commit()
    assert "errors" not in first.gql(LOG_IN, nickname="minji", password=PASSWORD)


def test_success_forgets_the_nicknames_failures(throttled, db_engine):
    first, _ = throttled
    fail(first, times=2)
    assert "errors" not in first.gql(LOG_IN, nickname="minji", password=PASSWORD)
    with Session(db_engine) as session:
        assert session.exec(select(sa.func.count()).select_from(LoginFailure)
                            .where(LoginFailure.nickname == "minji")).one() == 0


# -- demo logins -----------------------------------------------------------------------

def test_demo_logins_are_created_once_and_work(client, db_engine):
    fast = AuthSettings(**FAST_AUTH)
    assert ensure_demo_login(db_engine, fast) == DEMO_USER
    with Session(db_engine) as session:
        session.execute(sa.update(User).where(User.nickname == DEMO_ADMIN.nickname)
                        .values(password_hash=UNUSABLE_PASSWORD, is_admin=False))
        session.commit()
    nickname, password = ensure_demo_login(db_engine, fast)  # restores the known state
    assert count(db_engine, User) == 2 and count(db_engine, Playlist) == 2
    for credentials, admin in ((DEMO_USER, False), (DEMO_ADMIN, True)):
        body = client.gql(LOG_IN, nickname=credentials.nickname, password=credentials.password)
        assert client.gql("{ me { isAdmin } }", token=body["data"]["logIn"]["token"])["data"]["me"]["isAdmin"] is admin
    assert (nickname, password) == tuple(DEMO_USER)


def test_bulk_generated_users_use_an_unusable_password():
    assert demo_data.UNUSABLE_PASSWORD.startswith(UNUSABLE_PREFIX)
    assert not verify_password(demo_data.UNUSABLE_PASSWORD, demo_data.UNUSABLE_PASSWORD, AuthSettings(**FAST_AUTH))
