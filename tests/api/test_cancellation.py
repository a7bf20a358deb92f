"""A field that graphql-core cancels (a sibling failed) cancels no work other fields wait for.

Regression: the viewer lookup was one task awaited by every ``myRating``; cancelling one waiter
cancelled the task, the other waiters got ``CancelledError`` and the request a plain HTTP 500.
"""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace

import sqlalchemy as sa

from api.accounts import viewer as viewer_module
from api.catalog.loaders import Loaders
from domain.catalog.store import TrackRecord, upsert_catalog
from domain.catalog.tables import Track
from domain.db import create_db_engine
from jobs.stats import aggregate_overall_stats
from tests.support.accounts import sign_in
from tests.support.activity import add_plays, at, seed_activity
from tests.support.graphql import graphql_client
from tests.support.settings import make_settings

QUERY = "{ overallStats(day: \"2024-05-02\") { topTracks { track { artists { tracks(first: -1) { totalCount } } myRating } } } }"


def _info(run) -> SimpleNamespace:
    request = SimpleNamespace(headers={"authorization": "Bearer secret"})
    return SimpleNamespace(context=SimpleNamespace(request=request, state={}, run=run))


async def _cancel_one_waiter(first_waiter, second_waiter, release: asyncio.Event):
    first = asyncio.ensure_future(first_waiter)
    second = asyncio.ensure_future(second_waiter)
    await asyncio.sleep(0.01)  # both wait for the shared work now
    first.cancel()
    await asyncio.sleep(0)
    release.set()
    result = await asyncio.wait_for(second, 5)
    assert first.cancelled()
    return result


def test_a_cancelled_field_does_not_cancel_the_viewer_lookup_of_the_others():
    async def scenario():
        release = asyncio.Event()
        lookups = []

        async def run(fn, token):
            lookups.append(token)
            await release.wait()
            return "the viewer"

        info = _info(run)
        result = await _cancel_one_waiter(viewer_module.viewer(info), viewer_module.viewer(info), release)
        return result, lookups

    result, lookups = asyncio.run(scenario())
    assert result == "the viewer" and lookups == ["secret"]


def test_a_cancelled_field_does_not_cancel_a_shared_dataloader_answer():
    async def scenario():
        release = asyncio.Event()

        async def run(batch, keys):
            await release.wait()
            return [f"row {k}" for k in keys]

        loader = Loaders(run).track
        return await _cancel_one_waiter(loader.load(7), loader.load(7), release)

    assert asyncio.run(scenario()) == "row 7"


def test_a_failing_sibling_of_my_rating_gives_coded_errors_not_a_500(db_url, tmp_path):
    engine = create_db_engine(db_url)
    (t1, t2, t3, t4, t5), (ana, bo, cy) = seed_activity(engine)
    # a track without artists: nothing fails under it, so its myRating waits for the viewer
    upsert_catalog(engine, [TrackRecord("unknownartist000000001", "Anonymous", [], ["pop"])])
    with engine.connect() as conn:
        lone = conn.execute(sa.select(Track.id).where(Track.spotify_id == "unknownartist000000001")).scalar_one()
    add_plays(engine, [(u, t, at("2024-05-02 10:00")) for u in (ana, bo, cy) for t in (t1, t2, t3, t4, t5, lone)])
    aggregate_overall_stats("2024-05-02", database_url=db_url)
    token = sign_in(engine, ana)

    def slow_token_lookup(conn, cursor, statement, *args):
        # the viewer lookup ends after the sibling's failure: the race that made the 500
        if "auth_token" in statement:
            time.sleep(0.05)

    sa.event.listen(engine, "before_cursor_execute", slow_token_lookup)
    with graphql_client(make_settings(db_url, tmp_path), engine=engine) as client:
        for _ in range(5):
            body = client.gql(QUERY, token=token)  # asserts HTTP 200
            codes = {e["extensions"]["code"] for e in body["errors"]}
            assert codes == {"BAD_USER_INPUT"}, body
            tracks = [t["track"] for t in body["data"]["overallStats"]["topTracks"]]
            assert tracks.count(None) == 5 and {"artists": [], "myRating": None} in tracks
    engine.dispose()
