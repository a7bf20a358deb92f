"""The signed-in user of a request (resolved from ``Authorization: Bearer <token>``)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlmodel import Session, select
from strawberry import Info

from api.errors import Unauthenticated
from api.models import AuthToken, User, utcnow


def _bearer(info: Info) -> str | None:
    request = info.context.request
    header = request.headers.get("authorization", "") if request is not None else ""
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def user_for_token(session: Session, token: str) -> User | None:
    """The user of a valid (unexpired, unrevoked) token."""
    digest = hashlib.sha256(token.encode()).hexdigest()
    row = session.exec(
        select(User).join(AuthToken, AuthToken.user_id == User.id).where(
            AuthToken.token_hash == digest, AuthToken.revoked_at.is_(None), AuthToken.expires_at > utcnow()
        )
    ).first()
    return row


async def viewer(info: Info) -> User | None:
    """The signed-in user or None; resolved once per request."""
    state = info.context.state
    if "viewer" not in state:
        token = _bearer(info)
        state["viewer"] = await info.context.run(user_for_token, token) if token else None
    return state["viewer"]


async def require_viewer(info: Info) -> User:
    """The signed-in user, or an ``UNAUTHENTICATED`` error."""
    user = await viewer(info)
    if user is None:
        raise Unauthenticated("Sign in to see this (Authorization: Bearer <token>)")
    return user


def issue_token(session: Session, user_id: int, ttl: timedelta = timedelta(days=30)) -> str:
    """A new opaque bearer token for ``user_id``; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    session.add(AuthToken(user_id=user_id, token_hash=hashlib.sha256(token.encode()).hexdigest(),
                          expires_at=utcnow() + ttl))
    return token
