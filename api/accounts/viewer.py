"""Who is asking: the signed-in user of a request (``Authorization: Bearer <token>``) and its address."""

from __future__ import annotations

import asyncio

from starlette.requests import HTTPConnection
from strawberry import Info

from api.context import Context
from domain.accounts.tables import User
from domain.accounts.tokens import user_for_token
from domain.errors import Unauthenticated


def bearer_token(info: Info[Context, None]) -> str | None:
    """The token of the request's ``Authorization: Bearer`` header, if any."""
    request = info.context.request
    header = request.headers.get("authorization", "") if request is not None else ""
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def _resolve(info: Info[Context, None]) -> User | None:
    token = bearer_token(info)
    return await info.context.run(user_for_token, token) if token else None


async def viewer(info: Info[Context, None]) -> User | None:
    """The signed-in user or None; resolved lazily, once per request."""
    state = info.context.state
    lookup = state.get("viewer")
    if lookup is None:
        # One task that every field of the request waits for, so the lookup runs once.
        lookup = state["viewer"] = asyncio.ensure_future(_resolve(info))
    # graphql-core cancels a field's siblings when one fails; shielded, the cancellation stops
    # at the waiting field instead of cancelling the shared task under the other fields.
    return await asyncio.shield(lookup)


async def require_viewer(info: Info[Context, None]) -> User:
    """The signed-in user, or an ``UNAUTHENTICATED`` error."""
    user = await viewer(info)
    if user is None:
        raise Unauthenticated("Sign in to see this (Authorization: Bearer <token>)")
    return user


UNKNOWN_CLIENT = "unknown"


def client_address(request: HTTPConnection | None) -> str:
    """The client's address as the server sees it.

    Behind a reverse proxy, list it in ``HZ45_TRUSTED_PROXIES``: the app then takes the client
    from ``X-Forwarded-For`` of those peers only, so this is the real client and not the proxy.
    """
    client = request.client if request is not None else None
    return (client.host if client and client.host else UNKNOWN_CLIENT)[:100]
