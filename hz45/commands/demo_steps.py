"""The steps of ``hz45 demo`` before it serves, each announcing itself with a line.

:func:`prepare_demo` seeds an empty database, restores the demo logins, imports the Top 50 and
brings the listening history's charts and statistics up to date; :func:`train_for_demo` trains
the engines that take seconds before serving and queues the others on the in-process training
queue, where the API picks up each new model version as it is activated.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from datetime import datetime

import click

Echo = Callable[[str], None]

# Seconds each built-in engine (and the learned mix) takes to train on the demo data on a 2-core
# machine (measured with a benchmark sharing it; ease grows with the catalog's cube); an engine
# that needs at most QUICK_SECONDS is trained before the demo serves.
# Seconds on the demo data, 2 idle cores (docs/benchmarks.md, "The demo's first answer").
TRAINING_SECONDS = {"demographic_popular": 1, "content_gmm": 1, "item_knn": 1, "similar_listeners": 1, "als": 2,
                    "svd": 8, "ease": 12, "ncf": 15, "learned": 25}
QUICK_SECONDS = 5
# Made from the quick engines right after they are trained; the schedule refreshes them later.
GENERATED_PLAYLIST_JOBS = ("jobs.generated_playlists.generate_daily_mixes",
                           "jobs.generated_playlists.generate_weekly_exploration")


def prepare_demo(settings, engine, *, spotify_fake: bool = False, echo: Echo = click.echo, config=None,
                 now: datetime | None = None):
    """Everything the demo shows at start, on a migrated database, as of ``now`` (default: the
    current time); returns the settings to serve with (pointing at the local fake Spotify Web
    API when one was started). ``config`` sizes the data seeded into an empty database."""
    from domain.accounts.demo_logins import ensure_demo_login
    from jobs.demo_data import DemoConfig, database_is_empty, seed_demo

    if database_is_empty(engine):
        config = config or DemoConfig(demo_listener=True)
        echo(f"generating the demo data ({config.tracks:,} tracks, {config.users:,} listeners, "
             f"{config.days_of_plays} days of plays; about 10 s) ...")
        started = time.perf_counter()
        counts = seed_demo(engine, config, now=now)
        echo("  seeded " + ", ".join(f"{v:,} {k}" for k, v in counts.items())
             + f" in {time.perf_counter() - started:.0f} s")
    ensure_demo_login(engine, settings.auth)
    settings = import_spotify_charts(settings, spotify_fake, echo)
    catch_up_history(settings, echo, now)
    return settings


def import_spotify_charts(settings, fake_catalog: bool, echo: Echo):
    """Import today's Top 50 (and with ``fake_catalog`` the catalog) from Spotify: the configured
    credentials' Web API, or else a local fake of it, which then serves the schedule's daily
    import too. A failed import is reported, never fatal. Returns the settings in force."""
    from jobs.ingest import import_top50, ingest_catalog

    if fake_catalog or not (settings.spotify.client_id and settings.spotify.client_secret):
        overrides = start_fake_spotify()
        settings = settings.model_copy(update={"spotify": settings.spotify.model_copy(update=overrides)})
        where = f"a local fake of the Spotify Web API ({overrides['api_prefix']})"
    else:
        where = "the Spotify Web API"
    url = settings.database_url
    try:
        if fake_catalog:
            echo(f"ingesting the catalog from {where} ...")
            echo(f"  {ingest_catalog(database_url=url)}")
        echo(f"importing today's Top 50 from {where} ...")
        report = import_top50(database_url=url)
        echo(f"  {report['ranks']} ranks, {report['tracks_inserted']} new tracks")
    except Exception as exc:  # noqa: BLE001 - the demo serves without a Top 50
        echo(f"  not imported ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__}); "
             "the TOP50 chart stays as it was")
    return settings


def start_fake_spotify() -> dict[str, str]:
    """Serve a local fake of the Spotify Web API while this process runs and point the jobs'
    settings at it through the environment, which every job reads; returns the
    ``Settings.spotify`` values that reach it."""
    from jobs.spotify.fake_api import start_for_demo

    _running, overrides = start_for_demo()
    for key, value in overrides.items():
        os.environ[f"HZ45_SPOTIFY__{key.upper()}"] = str(value)
    return overrides


def catch_up_history(settings, echo: Echo, now: datetime | None = None) -> dict:
    """Plays since the last start, then the charts and statistics of the history."""
    from jobs.demo_history import catch_up_demo_history

    echo("bringing the listening history's charts and statistics up to date (a few seconds) ...")
    started = time.perf_counter()
    report = catch_up_demo_history(settings.database_url, now.isoformat() if now else None)
    days = report["stats_days"]
    echo(f"  {report['plays_added']:,} plays since the last start; charts and statistics of "
         f"{len(days)} days{f' ({days[0]} to {days[-1]})' if days else ''} in {time.perf_counter() - started:.0f} s")
    return report


def history_line(engine) -> str:
    """Where the listening history starts and ends, with a query to paste that shows it."""
    import sqlalchemy as sa

    from domain.plays.tables import PlayEvent

    with engine.connect() as conn:
        first, last = conn.execute(sa.select(sa.func.min(PlayEvent.played_at), sa.func.max(PlayEvent.played_at))).one()
    if first is None:
        return "no plays yet: recordPlay(trackId: ...) starts the history"
    start, end = first.date().isoformat(), last.date().isoformat()
    return (f"the listening history runs from {start} to {end}; signed in, try "
            f'{{ myStats(from: "{start}", to: "{end}") {{ plays daysActive topGenres {{ genre plays }} }} }}')


def untrained_engines(engine, manager) -> list[str]:
    """Installed engines (and the learned mix) without an active model version, quickest first."""
    from sqlmodel import Session

    from domain.recommendations.model_store import active_versions
    from domain.recommendations.service import LEARNED
    from plugins.manager import describe

    with Session(engine) as session:
        active = active_versions(session)
    names = [n for n in describe(manager) if n not in active]
    names.sort(key=lambda n: (TRAINING_SECONDS.get(n, QUICK_SECONDS + 1), n))
    return names + ([LEARNED] if LEARNED not in active else [])


def train_for_demo(settings, engine, echo: Echo = click.echo) -> list[tuple[str, str]]:
    """Train the quick engines now; queue the generated playlists and the other engines in the
    background. Returns the queued ``(engine, job id)`` pairs."""
    from domain.jobs.queues import enqueue
    from jobs.retrain import train_engines
    from plugins.manager import get_plugin_manager

    manager = get_plugin_manager()
    names = untrained_engines(engine, manager)
    quick = [n for n in names if TRAINING_SECONDS.get(n, QUICK_SECONDS + 1) <= QUICK_SECONDS]
    later = [n for n in names if n not in quick]
    if quick:
        echo(f"training {', '.join(quick)} before serving (a few seconds each) ...")
        for name, result in train_engines(quick, settings=settings, db_engine=engine, manager=manager).items():
            echo(f"  {_outcome(name, result)}")
    for job in GENERATED_PLAYLIST_JOBS:
        enqueue(job, settings)
    echo("generating the Daily Mix and Weekly Exploration playlists in the background (about a minute)")
    queued = [(name, enqueue("jobs.retrain.retrain", settings, engine=name).id) for name in later]
    if queued:
        hints = ", ".join(f"{n} ({_hint(n)})" for n in later)
        echo(f"training in the background, one after another: {hints}; recommendations use each "
             "as soon as it is ready (the engines query shows its status)")
    return queued


def watch_background_training(queued: list[tuple[str, str]], echo: Echo = click.echo) -> threading.Thread:
    """A daemon thread that prints a line as each queued training job ends."""
    from domain.jobs.queues import inprocess_runner

    def watch() -> None:
        runner, waiting = inprocess_runner(), dict(queued)
        while waiting:
            time.sleep(1)
            for name, job_id in list(waiting.items()):
                status = runner.get(job_id)
                if status is None or status.status in ("finished", "failed"):
                    del waiting[name]
                    result = (status.result or {}).get(name) if status and status.status == "finished" else None
                    error = status.error if status else "the job record expired"
                    echo(f"background training: {_outcome(name, result or {'status': 'failed', 'error': error})}")

    thread = threading.Thread(target=watch, name="hz45-demo-training-watch", daemon=True)
    thread.start()
    return thread


def _hint(name: str) -> str:
    seconds = TRAINING_SECONDS.get(name)
    if seconds is None:
        return "time unknown"
    return f"about {seconds} s" if seconds < 60 else f"about {seconds / 60:.1g}-{seconds / 30:.1g} min"


def _outcome(name: str, result: dict) -> str:
    if result.get("status") == "failed":
        return f"{name}: failed ({result.get('error')}); retry with: hz45 train {name}"
    seconds = (result.get("metrics") or {}).get("train_seconds")
    took = f" in {seconds:.1f} s" if isinstance(seconds, int | float) else ""
    return f"{name}: {result.get('status')} v{result.get('version', '-')}{took}"
