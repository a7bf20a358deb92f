"""Experiment report types: per-arm counts, play-through rates and the comparison with the control."""

from __future__ import annotations

from datetime import date

import strawberry

from domain.experiments import report as domain


@strawberry.type(description="A 95% confidence interval.")
class Interval:
    low: float
    high: float

    @classmethod
    def of(cls, bounds: tuple[float, float] | None) -> Interval | None:
        return cls(low=bounds[0], high=bounds[1]) if bounds is not None else None


@strawberry.type(description="An arm's play-through rate minus the control arm's.")
class ArmComparison:
    control: str
    difference: float
    interval: Interval = strawberry.field(description="Newcombe's hybrid score interval (95%).")
    p_value: float = strawberry.field(description="Two-sided p-value of the two-proportion z-test.")


@strawberry.type(description="One arm of an experiment over the report's days.")
class ArmReport:
    arm: str
    mix_id: str
    users: int = strawberry.field(description="Distinct users with impressions.")
    impressions: int
    plays: int = strawberry.field(description="Plays from this arm's lists of an impressed track within the "
                                  "attribution window.")
    played_impressions: int = strawberry.field(description="Impressions followed by such a play.")
    play_through_rate: float | None = strawberry.field(description="playedImpressions / impressions.")
    play_through_interval: Interval | None = strawberry.field(description="Wilson score interval (95%).")
    versus_control: ArmComparison | None = strawberry.field(description="Null for the control arm.")

    @classmethod
    def from_domain(cls, arm: domain.ArmReport, control: str) -> ArmReport:
        c, versus = arm.counts, arm.versus_control
        return cls(
            arm=c.arm, mix_id=arm.mix_id, users=c.users, impressions=c.impressions, plays=c.plays,
            played_impressions=c.played_impressions, play_through_rate=arm.rate,
            play_through_interval=Interval.of(arm.interval),
            versus_control=ArmComparison(control=control, difference=versus.difference,
                                         interval=Interval(low=versus.low, high=versus.high),
                                         p_value=versus.p_value) if versus else None,
        )


@strawberry.type(description="How the arms of an online experiment fared (impressions independent).")
class ExperimentReport:
    experiment: str
    from_: date = strawberry.field(name="from")
    to: date
    attribution_hours: float
    control: str
    arms: list[ArmReport]

    @classmethod
    def from_domain(cls, report: domain.ExperimentReport) -> ExperimentReport:
        return cls(experiment=report.experiment, from_=report.start, to=report.end,
                   attribution_hours=report.attribution_hours, control=report.control,
                   arms=[ArmReport.from_domain(a, report.control) for a in report.arms])
