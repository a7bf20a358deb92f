"""Opaque bearer tokens: random, stored only as a SHA-256 hash, with an expiry."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from domain.accounts.tables import AuthToken, User
from domain.columns import utcnow
from domain.settings import AuthSettings

MAX_TOKEN_LENGTH = 100  # ours are 43 characters; anything much longer is not one of ours


def hash_token(token: str) -> str:
    """The stored form of a token (a fast hash is enough: tokens have 256 random bits)."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, user_id: int, ttl: timedelta | None = None) -> tuple[str, AuthToken]:
    """A new token for ``user_id`` and its stored row; ``ttl`` defaults to the settings'."""
    token = secrets.token_urlsafe(32)
    row = AuthToken(user_id=user_id, token_hash=hash_token(token),
                    expires_at=utcnow() + (ttl or AuthSettings().token_ttl))
    session.add(row)
    return token, row


def issue_token(session: Session, user_id: int, ttl: timedelta | None = None) -> str:
    """A new opaque bearer token for ``user_id``; only its hash is stored."""
    return create_token(session, user_id, ttl)[0]


def user_for_token(session: Session, token: str) -> User | None:
    """The user of a valid (unexpired, unrevoked) token."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return session.exec(
        select(User).join(AuthToken, AuthToken.user_id == User.id).where(
            AuthToken.token_hash == hash_token(token), AuthToken.revoked_at.is_(None),
            AuthToken.expires_at > utcnow(),
        )
    ).first()


def revoke_token(session: Session, token: str) -> None:
    """Revoke one token (logging out this client)."""
    session.execute(sa.update(AuthToken).where(AuthToken.token_hash == hash_token(token),
                                               AuthToken.revoked_at.is_(None)).values(revoked_at=utcnow()))


def revoke_user_tokens(session: Session, user_id: int) -> None:
    """Revoke every token of a user (logging out everywhere)."""
    session.execute(sa.update(AuthToken).where(AuthToken.user_id == user_id,
                                               AuthToken.revoked_at.is_(None)).values(revoked_at=utcnow()))
