"""Signed-in listeners and admins for the job, stats and dashboard tests."""

from __future__ import annotations

import sqlalchemy as sa

from domain.accounts.tables import User
from tests.api.recommendation_fixtures import new_user, sign_in


def user_with_token(engine, nickname: str, admin: bool = False) -> tuple[int, str]:
    """A new user (an admin when asked) and a bearer token of theirs."""
    user_id = new_user(engine, nickname)
    if admin:
        with engine.begin() as conn:
            conn.execute(sa.update(User).where(User.id == user_id).values(is_admin=True))
    return user_id, sign_in(engine, user_id)
