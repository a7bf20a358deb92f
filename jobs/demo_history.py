"""Keeping the demo's listening history current, so that charts and statistics show it at start.

The seeded plays end when the demo data was generated. At every start of the demo
(:func:`catch_up_demo_history`), the demo's listeners are first given plays for the time since
the last play (at most ``days_of_plays`` back), drawn from their rated playlists at their own
past rate, and a few in the current hour if it has none: the realtime chart has data whenever
the demo starts. Then the hourly charts, the overall and per-listener statistics of every
day of the history, the listening rollups of the named ranges and the similar listeners are
computed, as the schedule would have done had
the demo been running.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from domain.accounts.demo_logins import DEMO_LISTENER
from domain.accounts.passwords import UNUSABLE_PASSWORD
from domain.accounts.tables import User
from domain.charts.tables import ChartHourly
from domain.charts.windows import floor_hour
from domain.playlists.tables import Playlist, PlaylistItem
from domain.plays.tables import PlayEvent
from domain.stats.tables import OverallDailyStats
from jobs.charts import aggregate_charts
from jobs.context import job_context
from jobs.demo_data import DemoConfig
from jobs.listening_stats import update_listening_rollups
from jobs.similar_users import similar_users
from jobs.stats import aggregate_overall_stats, aggregate_user_stats

log = logging.getLogger("hz45.jobs.demo_history")

# Statistics are computed for at most this many days back at a start.
LOOKBACK_DAYS = 31
# A shorter gap since the last play gets no new plays.
MIN_GAP = timedelta(minutes=1)
# Listeners given a play when the current hour has none (the realtime chart's window).
LIVE_LISTENERS = 20
SOURCE = "track_page"


def demo_listeners():
    """Where-clause of the listeners whose plays the demo continues: the generated ones and the demo login's."""
    return sa.or_(User.password_hash == UNUSABLE_PASSWORD, User.nickname == DEMO_LISTENER.nickname)


def top_up_plays(engine: Engine, now: datetime, max_days: int = DemoConfig.days_of_plays,
                 seed: int = DemoConfig.seed) -> tuple[int, datetime | None]:
    """Add the demo listeners' plays from the last play (at most ``max_days`` back) to ``now``,
    and a few in the current hour when it has none yet (so the realtime chart shows from the
    first second).

    Each listener plays at their past rate, tracks of their playlists weighted by rating.
    Returns the number of plays added and the time of the earliest (None: none added).
    """
    window = floor_hour(now)
    with engine.connect() as conn:
        first, last = conn.execute(sa.select(sa.func.min(PlayEvent.played_at), sa.func.max(PlayEvent.played_at))).one()
        if last is None:
            return 0, None
        live = conn.execute(sa.select(PlayEvent.id).where(PlayEvent.played_at >= window).limit(1)).first()
        listeners = sa.select(User.id).where(demo_listeners())
        past = dict(conn.execute(sa.select(PlayEvent.user_id, sa.func.count()).where(PlayEvent.user_id.in_(listeners))
                                 .group_by(PlayEvent.user_id)).all())
        rated = defaultdict(list)
        for user_id, track_id, rating in conn.execute(
                sa.select(Playlist.user_id, PlaylistItem.track_id, PlaylistItem.rating)
                .join(Playlist, Playlist.id == PlaylistItem.playlist_id)
                .where(Playlist.user_id.in_(listeners), PlaylistItem.rating.is_not(None))  # not generated ones
                .order_by(Playlist.user_id, PlaylistItem.id)):
            rated[user_id].append((track_id, rating))
    rng = np.random.default_rng([seed, int(now.timestamp())])
    start = max(last, now - timedelta(days=max_days))
    rows = []
    if now - start >= MIN_GAP:
        rates = {u: past.get(u, 0) / max((last - first).total_seconds(), 3600.0) for u in rated}
        rows = _plays(rng, rated, rates, start, now)
    if live is None and not any(r["played_at"] >= window for r in rows) and rated:
        listening = rng.choice(sorted(rated), size=min(LIVE_LISTENERS, len(rated)), replace=False)
        rows += _plays(rng, {u: rated[u] for u in listening.tolist()}, None, window, now)
    if rows:
        with engine.begin() as conn:
            conn.execute(sa.insert(PlayEvent), rows)
    return len(rows), min((r["played_at"] for r in rows), default=None)


def _plays(rng, rated: dict, rates: dict | None, start: datetime, end: datetime) -> list[dict]:
    """Plays in ``[start, end]`` of each owner of ``rated`` playlists: ``rates[user]`` plays per
    second on average, or exactly one each when ``rates`` is None."""
    span = (end - start).total_seconds()
    rows = []
    for user_id in sorted(rated):
        n = 1 if rates is None else int(rng.poisson(rates[user_id] * span))
        if not n:
            continue
        tracks = np.array([t for t, _ in rated[user_id]])
        weight = np.array([r + 1.0 for _, r in rated[user_id]]) ** 2
        picks = rng.choice(tracks, size=n, p=weight / weight.sum())
        offsets = np.sort(rng.uniform(0, span, n))
        rows.extend({"user_id": user_id, "track_id": int(t), "played_at": start + timedelta(seconds=float(s)),
                     "source": SOURCE} for t, s in zip(picks, offsets, strict=True))
    return rows


def stats_days(engine: Engine, today: date, since: datetime | None) -> list[date]:
    """The days whose statistics a start computes: each day of the history (within
    :data:`LOOKBACK_DAYS`) that has none yet, the days from ``since`` on, yesterday and today."""
    with engine.connect() as conn:
        first = conn.execute(sa.select(sa.func.min(PlayEvent.played_at))).scalar()
        done = set(conn.execute(sa.select(OverallDailyStats.day)).scalars())
    if first is None:
        return []
    begin = max(first.astimezone(UTC).date(), today - timedelta(days=LOOKBACK_DAYS))
    fresh = min(today - timedelta(days=1), since.astimezone(UTC).date() if since else today)
    days = [begin + timedelta(days=i) for i in range((today - begin).days + 1)]
    return [d for d in days if d not in done or d >= fresh]


def catch_up_demo_history(database_url: str | None = None, now: str | None = None) -> dict:
    """Job: top up the demo listeners' plays to ``now`` (ISO time, default the current time),
    then aggregate the charts and the statistics of every day of the history. Returns a report."""
    moment = datetime.fromisoformat(now) if now else datetime.now(UTC)
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    with job_context(database_url) as job:
        url = job.settings.database_url
        added, since = top_up_plays(job.engine, moment)
        with job.engine.connect() as conn:
            charted = conn.execute(sa.select(ChartHourly.window_start).limit(1)).first() is not None
        # Plays added behind the watermark are a backfill: their windows need the full rebuild.
        charts = aggregate_charts(full=bool(added) or not charted, now=moment.isoformat(), database_url=url)
        days = stats_days(job.engine, moment.date(), since)
    for day in days:
        aggregate_overall_stats(day.isoformat(), database_url=url)
        aggregate_user_stats(day.isoformat(), database_url=url)
    neighbours = similar_users(database_url=url)
    rollups = update_listening_rollups(database_url=url)
    report = {"plays_added": added, "chart_windows_changed": len(charts["changed_windows"]),
              "stats_days": [d.isoformat() for d in days], "similar_users": neighbours["users"],
              "plays_folded": rollups.get("plays", 0)}
    log.info("catch_up_demo_history: %s", report)
    return report
