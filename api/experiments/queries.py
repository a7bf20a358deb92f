"""Experiment queries: experimentReport (admins only)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

import strawberry
from strawberry import Info

from api.accounts.permissions import IsAdmin
from api.context import Context
from api.experiments.types import ExperimentReport
from domain.errors import BadUserInput
from domain.experiments.report import experiment_report

MAX_DAYS = 366


@strawberry.type
class ExperimentQuery:
    @strawberry.field(description="Impressions, attributed plays and play-through rates per arm of an "
                      "experiment over [from, to] (UTC days, at most 366), each arm against the control "
                      "(admins only).", permission_classes=[IsAdmin])
    async def experiment_report(self, info: Info[Context, None], experiment: str,
                                from_: Annotated[date, strawberry.argument(name="from")], to: date) -> ExperimentReport:
        settings = info.context.settings.recommenders
        if experiment not in settings.experiments:
            configured = sorted(settings.experiments)
            raise BadUserInput(f"No experiment {experiment!r}; configured: {', '.join(configured) or 'none'}",
                               argument="experiment", configured=configured)
        if from_ > to:
            raise BadUserInput("`from` must not be after `to`", argument="from")
        if to - from_ >= timedelta(days=MAX_DAYS):
            raise BadUserInput(f"at most {MAX_DAYS} days per request", argument="to")
        report = await info.context.run(experiment_report, settings, experiment, from_, to)
        return ExperimentReport.from_domain(report)
