"""Schemathesis fuzzes every query and mutation, anonymous and signed in, on seeded data: no
answer is a 5xx, an error without ``extensions.code`` (or INTERNAL_SERVER_ERROR), or a traceback.

Bounded and deterministic (derandomized, no example database): about 2,000 operations on
SQLite and a smaller pass on PostgreSQL, each under a minute on two cores. Subscriptions are
not fuzzed: over HTTP they are refused with a 400 (tests/api/test_fuzz_regressions.py).
"""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from api.app import create_app
from domain.db import create_db_engine
from jobs.retrain import train_engines
from tests.support.demo import FAST_ENGINES
from tests.support.fuzz import fuzz, fuzz_config, fuzz_settings, load_schema, log_in, real_values, seed_fuzz_data

# Per backend: (positive, negative) cases per operation and identity, and the operations the run
# must reach in all (some operations have fewer distinct cases than asked for).
BUDGETS = {"sqlite": ((30, 12), 2000), "postgres": ((12, 4), 750)}


@pytest.mark.timeout(300)
def test_fuzzed_operations_get_coded_answers(db_url, tmp_path, capsys):
    backend = "postgres" if db_url.startswith("postgres") else "sqlite"
    (positive, negative), target = BUDGETS[backend]
    engine = create_db_engine(db_url)
    seed_fuzz_data(engine, db_url)
    settings = fuzz_settings(db_url, tmp_path)
    train_engines(FAST_ENGINES, settings=settings, db_engine=engine)
    with TestClient(create_app(settings, engine=engine)) as client:
        schema = load_schema(client, fuzz_config(real_values(engine, client, log_in(client))))
        anonymous = fuzz(client, schema, positive=positive, negative=negative)
        signed_in = fuzz(client, schema, positive=positive, negative=negative, sign_in=lambda: log_in(client))
    engine.dispose()

    total = anonymous + signed_in
    with capsys.disabled():
        for title, report in (("anonymous", anonymous), ("signed in", signed_in), ("total", total)):
            print(f"\nfuzz {backend} {report.summary(title)}", end="")
        print()
    assert not total.problems, "\n".join(total.problems[:20])
    assert total.operations >= target
    assert anonymous.outcomes["data"] and signed_in.outcomes["data"]  # real answers, not only refusals
