"""Log-in throttling: too many recent failures for a nickname, or from a client address.

Failures are rows of ``login_failure``, so every API process (and machine) sees the same
counts. A refused attempt is not counted, so waiting always ends the refusal.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from domain.accounts.tables import LoginFailure
from domain.settings import AuthSettings


def retry_after(session: Session, nickname: str, client: str, auth: AuthSettings, now: datetime) -> int | None:
    """Seconds until a log-in may be tried again, or None when it may be tried now."""
    window = timedelta(seconds=auth.login_window_seconds)
    waits = []
    for column, value in ((LoginFailure.nickname, nickname[:150]), (LoginFailure.client, client)):
        # The max-th most recent failure in the window: once it ages out, fewer than max remain.
        oldest_counted = session.exec(
            select(LoginFailure.failed_at)
            .where(column == value, LoginFailure.failed_at > now - window)
            .order_by(LoginFailure.failed_at.desc())
            .offset(auth.login_max_failures - 1)
            .limit(1)
        ).first()
        if oldest_counted is not None:
            waits.append((oldest_counted + window - now).total_seconds())
    return max(1, int(max(waits)) + 1) if waits else None


def record_failure(session: Session, nickname: str, client: str, auth: AuthSettings, now: datetime) -> None:
    """Count a failed log-in; failures older than the window are dropped on the way."""
    session.execute(sa.delete(LoginFailure).where(
        LoginFailure.failed_at <= now - timedelta(seconds=auth.login_window_seconds)))
    session.add(LoginFailure(nickname=nickname[:150], client=client, failed_at=now))


def clear_failures(session: Session, nickname: str) -> None:
    """Forget a nickname's failures after a successful log-in (its client's stay counted)."""
    session.execute(sa.delete(LoginFailure).where(LoginFailure.nickname == nickname[:150]))
