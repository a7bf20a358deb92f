"""Admin mutations that enqueue jobs, and the job query."""

from __future__ import annotations

import pytest

from domain.db import create_db_engine
from domain.jobs.queues import inprocess_runner
from tests.support.accounts import user_with_token
from tests.support.graphql import error_codes, graphql_client
from tests.support.settings import make_settings

RUN = "mutation($kind: AggregationKind!, $day: Date) { runAggregation(kind: $kind, day: $day) { id name status } }"
RETRAIN = "mutation($engine: String) { retrain(engine: $engine) { id name status } }"
TOP50 = "mutation { importTop50 { id name status } }"
JOB = "query($id: ID!) { job(id: $id) { id name status result error enqueuedAt endedAt } }"


@pytest.fixture
def tokens(sqlite_url):
    engine = create_db_engine(sqlite_url)
    _, admin = user_with_token(engine, "root", admin=True)
    _, listener = user_with_token(engine, "ana")
    engine.dispose()
    return admin, listener


def test_admins_run_aggregations_in_process_and_follow_them(sqlite_url, tmp_path, tokens):
    admin, _ = tokens
    with graphql_client(make_settings(sqlite_url, tmp_path)) as client:
        job = client.gql(RUN, token=admin, kind="USER_STATS", day="2024-05-01")["data"]["runAggregation"]
        assert job["name"] == "jobs.stats.aggregate_user_stats" and job["status"] == "QUEUED"
        inprocess_runner().wait(timeout=30)
        done = client.gql(JOB, token=admin, id=job["id"])["data"]["job"]
        assert done["status"] == "FINISHED" and done["endedAt"]
        assert done["result"] == {"day": "2024-05-01", "users": 0, "plays": 0}
        assert error_codes(client.gql(JOB, token=admin, id="nope")) == ["NOT_FOUND"]


def test_jobs_are_for_admins_only(sqlite_url, tmp_path, tokens):
    _, listener = tokens
    with graphql_client(make_settings(sqlite_url, tmp_path)) as client:
        for query in (RUN, RETRAIN, TOP50):
            kwargs = {"kind": "CHARTS"} if query is RUN else {}
            assert error_codes(client.gql(query, **kwargs)) == ["UNAUTHENTICATED"]
            assert error_codes(client.gql(query, token=listener, **kwargs)) == ["FORBIDDEN"]
        assert error_codes(client.gql(JOB, token=listener, id="x")) == ["FORBIDDEN"]


def test_bad_job_arguments(sqlite_url, tmp_path, tokens):
    admin, _ = tokens
    with graphql_client(make_settings(sqlite_url, tmp_path)) as client:
        assert error_codes(client.gql(RETRAIN, token=admin, engine="no_such_engine")) == ["BAD_USER_INPUT"]
        assert error_codes(client.gql(RUN, token=admin, kind="CHARTS", day="2024-05-01")) == ["BAD_USER_INPUT"]


@pytest.mark.redis
def test_with_redis_mutations_enqueue_rq_jobs(sqlite_url, tmp_path, tokens, redis_url):
    from rq import Queue

    from domain.jobs.queues import redis_connection

    admin, _ = tokens
    with graphql_client(make_settings(sqlite_url, tmp_path, redis_url=redis_url)) as client:
        job = client.gql(TOP50, token=admin)["data"]["importTop50"]
        retrain = client.gql(RETRAIN, token=admin, engine="svd")["data"]["retrain"]
        status = client.gql(JOB, token=admin, id=job["id"])["data"]["job"]
    connection = redis_connection(redis_url)
    assert Queue("default", connection=connection).job_ids == [job["id"]]
    assert Queue("training", connection=connection).job_ids == [retrain["id"]]
    assert (status["name"], status["status"], status["result"]) == ("jobs.ingest.import_top50", "QUEUED", None)
