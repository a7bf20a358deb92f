"""similarUsers over GraphQL, and "popular among listeners like you" in mixed recommendations."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.columns import utcnow
from domain.db import create_db_engine
from domain.jobs.queues import inprocess_runner
from engines.user_neighbours import REASON
from jobs.retrain import train_engines
from jobs.similar_users import similar_users
from tests.support.accounts import sign_in, user_with_token
from tests.support.activity import add_plays, seed_activity
from tests.support.demo import small_demo_database
from tests.support.graphql import error_codes, graphql_client
from tests.support.settings import make_settings

SIMILAR = """query($k: Int) { similarUsers(k: $k) { user { id nickname } similarity sharedArtists } }"""
RUN = "mutation($day: Date) { runAggregation(kind: SIMILAR_USERS, day: $day) { id name } }"
JOB = "query($id: ID!) { job(id: $id) { status result } }"
MIXED = """query { recommendations(k: 5, mix: [{engine: "similar_listeners", weight: 1}]) {
  items { track { id } reason contributions { engine } } } }"""


def _seed(db_url):
    """ana plays Artist 0 and 1, bo Artist 0 and 1 too (closest), cy Artist 0 and 2."""
    engine = create_db_engine(db_url)
    (t1, t2, t3, t4, t5), (ana, bo, cy) = seed_activity(engine)
    now = utcnow() - timedelta(hours=1)
    add_plays(engine, [(ana, t1, now), (ana, t1, now), (ana, t3, now), (bo, t1, now), (bo, t3, now),
                       (bo, t4, now), (cy, t2, now), (cy, t5, now), (cy, t5, now)])
    return engine, (ana, bo, cy)


def test_similar_users_after_the_job(db_url, tmp_path):
    engine, (ana, bo, cy) = _seed(db_url)
    token = sign_in(engine, ana)
    engine.dispose()
    with graphql_client(make_settings(db_url, tmp_path)) as client:
        before = client.gql(SIMILAR, token=token)
        similar_users(database_url=db_url)
        after = client.gql(SIMILAR, token=token)["data"]["similarUsers"]
        one = client.gql(SIMILAR, token=token, k=1)["data"]["similarUsers"]
    assert before == {"data": {"similarUsers": []}}  # the job has not run yet: empty, no error
    # ana (2, 0, 1, 0, 0) and bo (1, 0, 1, 1, 0) share t1 and t3; cy shares no track with ana
    assert [(u["user"]["id"], u["user"]["nickname"]) for u in after] == [(str(bo), "bo")]
    assert after[0]["similarity"] == pytest.approx(3 / (5 ** 0.5 * 3 ** 0.5))
    assert after[0]["sharedArtists"] == ["Artist 0", "Artist 1"]
    assert one == after[:1]


def test_only_public_fields_are_exposed(sqlite_url, tmp_path):
    with graphql_client(make_settings(sqlite_url, tmp_path)) as client:
        for field in ("name", "birthDate", "password", "passwordHash", "gender"):
            body = client.gql("query { similarUsers { user { %s } } }" % field)
            assert error_codes(body) == ["GRAPHQL_VALIDATION_FAILED"], field


def test_errors_and_a_listener_without_plays(sqlite_url, tmp_path):
    engine = create_db_engine(sqlite_url)
    _, token = user_with_token(engine, "dora")
    engine.dispose()
    similar_users(database_url=sqlite_url)
    with graphql_client(make_settings(sqlite_url, tmp_path)) as client:
        assert error_codes(client.gql(SIMILAR)) == ["UNAUTHENTICATED"]
        for k in (0, -1, 51):
            assert error_codes(client.gql(SIMILAR, token=token, k=k)) == ["BAD_USER_INPUT"], k
        assert client.gql(SIMILAR, token=token) == {"data": {"similarUsers": []}}


def test_the_plugins_reason_shows_in_mixed_recommendations(tmp_path, sqlite_template):
    url, engine = small_demo_database(tmp_path, sqlite_template)
    summary = train_engines(["similar_listeners"], settings=make_settings(url), db_engine=engine)
    assert summary["similar_listeners"]["status"] == "active", summary
    with graphql_client(make_settings(url, tmp_path)) as client:
        items = client.gql(MIXED, token=sign_in(engine, 1))["data"]["recommendations"]["items"]
    engine.dispose()
    assert items and all(i["reason"] == REASON for i in items)
    assert all({c["engine"] for c in i["contributions"]} == {"similar_listeners"} for i in items)


def test_admins_run_the_job_through_run_aggregation(sqlite_url, tmp_path):
    engine, (ana, *_) = _seed(sqlite_url)
    _, admin = user_with_token(engine, "root", admin=True)
    token = sign_in(engine, ana)
    engine.dispose()
    with graphql_client(make_settings(sqlite_url, tmp_path)) as client:
        assert error_codes(client.gql(RUN, token=token)) == ["FORBIDDEN"]
        assert error_codes(client.gql(RUN, token=admin, day="2024-05-01")) == ["BAD_USER_INPUT"]
        job = client.gql(RUN, token=admin)["data"]["runAggregation"]
        assert job["name"] == "jobs.similar_users.similar_users"
        inprocess_runner().wait(timeout=30)
        done = client.gql(JOB, token=admin, id=job["id"])["data"]["job"]
        assert done["status"] == "FINISHED" and done["result"]["rows"] > 0
        assert len(client.gql(SIMILAR, token=token)["data"]["similarUsers"]) == 1
