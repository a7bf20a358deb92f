"""Log-in throttling: too many recent failures for a nickname, or from a client address.

Failures are rows of ``login_failure``, so every API process (and machine) sees the same
counts. An attempt is counted as a failure *before* its password is checked, under a lock on
its nickname and address (:func:`reserve_attempt`), so concurrent attempts cannot all pass the
check at once; a success takes its row back. A refused attempt is not counted, so waiting
always ends the refusal.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from domain.accounts.tables import LoginFailure
from domain.settings import AuthSettings
from domain.sql import lock_for_transaction


def _keys(nickname: str, client: str) -> tuple[tuple[sa.Column, str], ...]:
    return (LoginFailure.nickname, nickname[:150]), (LoginFailure.client, client)


def retry_after(session: Session, nickname: str, client: str, auth: AuthSettings, now: datetime) -> int | None:
    """Seconds until a log-in may be tried again, or None when it may be tried now."""
    window = timedelta(seconds=auth.login_window_seconds)
    waits = []
    for column, value in _keys(nickname, client):
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
    expired = (select(LoginFailure.id)
               .where(LoginFailure.failed_at <= now - timedelta(seconds=auth.login_window_seconds))
               # rows another log-in is deleting already are left to it (PostgreSQL; SQLite ignores this)
               .with_for_update(skip_locked=True))
    session.execute(sa.delete(LoginFailure).where(LoginFailure.id.in_(expired.scalar_subquery())))
    session.add(LoginFailure(nickname=nickname[:150], client=client, failed_at=now))


def reserve_attempt(session: Session, nickname: str, client: str, auth: AuthSettings, now: datetime) -> int | None:
    """Count an attempt as a failure unless it is refused; returns the seconds to wait if refused.

    Checking and counting happen under a lock on the nickname and the address, and are
    committed at once, so of N concurrent attempts exactly the allowed number get through.
    """
    lock_for_transaction(session, LoginFailure.__table__, *(f"{c.key}:{v}" for c, v in _keys(nickname, client)))
    wait = retry_after(session, nickname, client, auth, now)
    if wait is None:
        record_failure(session, nickname, client, auth, now)
    session.commit()  # ends the lock; concurrent attempts now see this one
    return wait


def clear_failures(session: Session, nickname: str) -> None:
    """Forget a nickname's failures after a successful log-in (its client's stay counted)."""
    session.execute(sa.delete(LoginFailure).where(LoginFailure.nickname == nickname[:150]))
