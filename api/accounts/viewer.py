"""The signed-in user of a request (resolved from ``Authorization: Bearer <token>``)."""

from __future__ import annotations

import asyncio

from strawberry import Info

from domain.accounts.tables import User
from domain.accounts.tokens import issue_token, user_for_token
from domain.errors import Unauthenticated

__all__ = ["bearer_token", "issue_token", "require_viewer", "user_for_token", "viewer"]


def bearer_token(info: Info) -> str | None:
    """The token of the request's ``Authorization: Bearer`` header, if any."""
    request = info.context.request
    header = request.headers.get("authorization", "") if request is not None else ""
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def _resolve(info: Info) -> User | None:
    token = bearer_token(info)
    return await info.context.run(user_for_token, token) if token else None


async def viewer(info: Info) -> User | None:
    """The signed-in user or None; resolved lazily, once per request."""
    state = info.context.state
    if "viewer" not in state:
        # A shared task, so fields resolved concurrently wait for one lookup.
        state["viewer"] = asyncio.ensure_future(_resolve(info))
    return await state["viewer"]


async def require_viewer(info: Info) -> User:
    """The signed-in user, or an ``UNAUTHENTICATED`` error."""
    user = await viewer(info)
    if user is None:
        raise Unauthenticated("Sign in to see this (Authorization: Bearer <token>)")
    return user
