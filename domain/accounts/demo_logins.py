"""The demo's known logins (``hz45 demo`` and ``hz45 seed-demo`` print them): a listener and an admin.

Only for the demo database: the passwords are public. Bulk-generated demo listeners get
:data:`~domain.accounts.passwords.UNUSABLE_PASSWORD` instead and cannot log in. The demo data
gives the listener (:data:`DEMO_LISTENER`) a listening history of its own.
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from domain.accounts.passwords import verify_password
from domain.accounts.tables import User
from domain.accounts.users import NewAccount, create_account, set_password
from domain.db import session_scope
from domain.settings import AuthSettings

__all__ = ["DEMO_ACCOUNTS", "DEMO_ADMIN", "DEMO_LISTENER", "DEMO_USER", "Credentials", "demo_logins_line",
           "ensure_demo_login"]


class Credentials(NamedTuple):
    nickname: str
    password: str


DEMO_USER = Credentials("demo", "listen-at-4.5Hz")
DEMO_ADMIN = Credentials("demo-admin", "operate-4.5Hz-safely")
DEMO_LISTENER = NewAccount(DEMO_USER.nickname, "Demo Listener", date(1999, 4, 5), "FEMALE", DEMO_USER.password)
DEMO_ACCOUNTS = (
    DEMO_LISTENER,
    NewAccount(DEMO_ADMIN.nickname, "Demo Admin", date(1985, 9, 1), "OTHER", DEMO_ADMIN.password, is_admin=True),
)


def _ensure(session: Session, account: NewAccount, auth: AuthSettings) -> None:
    user = session.exec(select(User).where(User.nickname == account.nickname)).first()
    if user is None:
        create_account(session, account, auth)
        return
    if not verify_password(user.password_hash, account.password, auth):
        set_password(session, user, account.password, auth)
    user.is_admin = account.is_admin
    session.add(user)


def ensure_demo_login(engine: Engine, auth: AuthSettings | None = None) -> Credentials:
    """Create (or restore) the demo listener and admin; returns the listener's credentials.

    The admin's are :data:`DEMO_ADMIN`. Safe to call on every start.
    """
    auth = auth or AuthSettings()
    with session_scope(engine) as session:
        for account in DEMO_ACCOUNTS:
            _ensure(session, account, auth)
    return DEMO_USER


def demo_logins_line() -> str:
    """The demo logins in one line, as the demo commands print them."""
    return (f"demo logins: {DEMO_USER.nickname} / {DEMO_USER.password} (a listener with a history), "
            f"admin {DEMO_ADMIN.nickname} / {DEMO_ADMIN.password}")
