"""The per-arm report of an experiment, counted in SQL over impressions and plays.

A play counts for an impression when the same user plays the same track from that list (source
``recommendation:<mix id>``) within ``attribution_hours`` after the impression.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from domain.experiments.stats import Comparison, compare, wilson_interval
from domain.experiments.tables import RecommendationImpression
from domain.plays.tables import PlayEvent
from domain.settings import RecommenderSettings


@dataclass(frozen=True)
class ArmCounts:
    arm: str
    users: int = 0
    impressions: int = 0
    plays: int = 0  # attributed plays
    played_impressions: int = 0  # impressions followed by at least one attributed play


@dataclass(frozen=True)
class ArmReport:
    counts: ArmCounts
    mix_id: str
    rate: float | None
    interval: tuple[float, float] | None
    versus_control: Comparison | None


@dataclass(frozen=True)
class ExperimentReport:
    experiment: str
    start: date
    end: date
    attribution_hours: float
    control: str
    arms: list[ArmReport]


def control_arm(settings: RecommenderSettings, experiment: str) -> str:
    """The arm the others are compared with: the configured one, else the first alphabetically."""
    arms = sorted(settings.experiments[experiment])
    configured = settings.experiment_controls.get(experiment)
    return configured if configured in arms else arms[0]


def _within(session: Session, played_at, served_at, window: timedelta):
    """``played_at`` falls in [served_at, served_at + window) on either backend."""
    if session.get_bind().dialect.name == "sqlite":
        # Timestamps are ISO text there, so the window's end is shifted text (to the millisecond);
        # julianday() arithmetic would blur the edge by floating-point error.
        end = sa.func.strftime("%Y-%m-%d %H:%M:%f", served_at, f"+{window.total_seconds()} seconds")
        return sa.and_(played_at >= served_at, played_at < end)
    return sa.and_(played_at >= served_at, played_at < served_at + sa.literal(window, sa.Interval()))


def arm_counts(session: Session, experiment: str, start: date, end: date, window: timedelta) -> dict[str, ArmCounts]:
    """Impressions served from ``start`` to ``end`` (UTC days, inclusive) per arm, with their plays."""
    i, p = RecommendationImpression.__table__.c, PlayEvent.__table__.c
    attributed = sa.and_(p.user_id == i.user_id, p.track_id == i.track_id,
                         p.source == sa.literal("recommendation:") + i.mix_id,
                         _within(session, p.played_at, i.served_at, window))
    query = (
        sa.select(i.arm, sa.func.count(sa.distinct(i.user_id)), sa.func.count(sa.distinct(i.id)),
                  sa.func.count(sa.distinct(p.id)),
                  sa.func.count(sa.distinct(sa.case((p.id.is_not(None), i.id)))))
        .select_from(RecommendationImpression.__table__.outerjoin(PlayEvent.__table__, attributed))
        .where(i.experiment == experiment,
               i.served_at >= datetime.combine(start, time(), UTC),
               i.served_at < datetime.combine(end + timedelta(days=1), time(), UTC))
        .group_by(i.arm)
    )
    return {arm: ArmCounts(arm, *numbers) for arm, *numbers in session.execute(query)}


def experiment_report(session: Session, settings: RecommenderSettings, experiment: str, start: date,
                      end: date) -> ExperimentReport:
    """Every configured arm of ``experiment`` (in name order), compared with the control arm."""
    counted = arm_counts(session, experiment, start, end, timedelta(hours=settings.attribution_hours))
    control = control_arm(settings, experiment)
    base = counted.get(control, ArmCounts(control))
    arms = []
    for name in sorted(settings.experiments[experiment]):
        counts = counted.get(name, ArmCounts(name))
        n, x = counts.impressions, counts.played_impressions
        versus = compare(x, n, base.played_impressions, base.impressions) if name != control else None
        arms.append(ArmReport(counts, f"{experiment}:{name}", x / n if n else None, wilson_interval(x, n), versus))
    return ExperimentReport(experiment, start, end, settings.attribution_hours, control, arms)
