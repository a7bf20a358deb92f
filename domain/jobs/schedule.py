"""The table of recurring jobs (SPEC §5): what runs, with which arguments, and when.

Jobs are named by import path, so reading the table imports none of them. ``hz45 cron``
registers it with RQ's cron (:mod:`jobs.schedule`); without Redis the API runs it in-process
(:mod:`domain.jobs.inprocess`). Intervals and cron strings come from ``Settings.schedule``;
cron strings are in UTC, whatever the time zone of the process that schedules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from domain.settings import Settings


@dataclass(frozen=True)
class ScheduledJob:
    """One recurring job: what to run (by import path), with which arguments, and when."""

    name: str
    func_path: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    interval: int | None = None
    cron: str | None = None


def scheduled_jobs(settings: Settings) -> list[ScheduledJob]:
    """The recurring jobs for ``settings``."""
    times = settings.schedule
    return [
        ScheduledJob("aggregate_charts", "jobs.charts.aggregate_charts", interval=times.aggregate_charts_seconds),
        ScheduledJob("aggregate_overall_stats", "jobs.stats.aggregate_overall_stats",
                     interval=times.aggregate_overall_stats_seconds),
        # The daily run closes the previous day with its final figures.
        ScheduledJob("aggregate_overall_stats_daily", "jobs.stats.aggregate_overall_stats",
                     {"day": "yesterday"}, cron=times.daily_stats_cron),
        ScheduledJob("aggregate_user_stats", "jobs.stats.aggregate_user_stats",
                     {"day": "yesterday"}, cron=times.daily_stats_cron),
        ScheduledJob("import_top50", "jobs.ingest.import_top50", cron=times.import_top50_cron),
        ScheduledJob("retrain", "jobs.retrain.retrain", cron=times.retrain_cron),
        ScheduledJob("generate_daily_mixes", "jobs.generated_playlists.generate_daily_mixes",
                     cron=times.daily_mix_cron),
        ScheduledJob("generate_weekly_exploration", "jobs.generated_playlists.generate_weekly_exploration",
                     cron=times.weekly_exploration_cron),
        ScheduledJob("similar_users", "jobs.similar_users.similar_users", cron=times.similar_users_cron),
        ScheduledJob("update_listening_rollups", "jobs.listening_stats.update_listening_rollups",
                     interval=times.listening_rollups_seconds),
    ]
