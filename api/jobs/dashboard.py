"""rq-dashboard (a Flask app) mounted under ``/rq`` for admins.

Browsers get an HTTP Basic prompt: the user name is the admin's nickname and the password is
an API token of theirs (from ``logIn``); scripts may send ``Authorization: Bearer <token>``.
Browsers replay Basic credentials on any request to the site, so requests that change state
(empty a queue, requeue, delete) must come from the dashboard's own pages: see
:class:`SameOriginWrites`.
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path
from urllib.parse import urlsplit

from a2wsgi import WSGIMiddleware
from anyio import to_thread
from sqlmodel import Session
from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from domain.accounts.tables import User
from domain.accounts.tokens import user_for_token

REALM = "4.5Hz rq-dashboard"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# rq-dashboard's "requeue all" answers GET as well as POST; its own page only POSTs to it.
STATE_CHANGING_PATHS = ("/requeue/",)


def credentials(header: str) -> tuple[str | None, str] | None:
    """(nickname or None, token) from a Bearer or Basic ``Authorization`` header."""
    scheme, _, value = header.partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return None, value
    if scheme.lower() == "basic" and value:
        try:
            nickname, _, secret = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return (nickname, secret) if secret else None
    return None


def admin_for(engine, header: str) -> tuple[User | None, bool]:
    """The user the header authenticates (None if none) and whether they are an admin."""
    found = credentials(header)
    if found is None:
        return None, False
    nickname, token = found
    with Session(engine) as session:
        user = user_for_token(session, token)
    if user is None or (nickname is not None and nickname != user.nickname):
        return None, False
    return user, user.is_admin


class AdminOnly:
    """ASGI middleware: only signed-in admins reach the wrapped app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            header = Headers(scope=scope).get("authorization", "")
            user, is_admin = await to_thread.run_sync(admin_for, scope["app"].state.engine, header)
            if user is None:
                response = PlainTextResponse("Sign in as an admin (nickname and API token)", 401,
                                             {"WWW-Authenticate": f'Basic realm="{REALM}"'})
                return await response(scope, receive, send)
            if not is_admin:
                return await PlainTextResponse("Admins only", 403)(scope, receive, send)
        await self.app(scope, receive, send)


def changes_state(scope: Scope) -> bool:
    """Whether the request may change something (any method but GET/HEAD/OPTIONS, and requeue)."""
    if scope["method"] not in SAFE_METHODS:
        return True
    path, root = scope["path"], scope.get("root_path", "")
    return path.removeprefix(root).startswith(STATE_CHANGING_PATHS)


def same_origin(headers: Headers) -> bool:
    """Whether ``Origin`` (or, without it, ``Referer``) names the host the request was sent to."""
    source = headers.get("origin") or headers.get("referer")
    if not source or source == "null":
        return False
    # Host and port, not the scheme: behind a TLS proxy the app may see http for an https page.
    return urlsplit(source).netloc.lower() == headers.get("host", "").lower()


class SameOriginWrites:
    """ASGI middleware: requests that change state must come from a page of this site (403 if not).

    A browser sends ``Origin`` with every POST, and Basic credentials with every request to a
    site it has signed in to; a page elsewhere could otherwise empty queues with the admin's
    credentials. Bearer tokens are never added by a browser, so scripts that send one pass.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and changes_state(scope):
            headers = Headers(scope=scope)
            bearer = headers.get("authorization", "").lower().startswith("bearer ")
            if not bearer and not same_origin(headers):
                return await PlainTextResponse("Cross-site request refused", 403)(scope, receive, send)
        await self.app(scope, receive, send)


def dashboard_app(redis_url: str) -> ASGIApp:
    """rq-dashboard for the Redis at ``redis_url``, behind :class:`SameOriginWrites` and :class:`AdminOnly`."""
    import rq_dashboard
    from flask import Flask
    from rq_dashboard import default_settings
    from rq_dashboard.web import blueprint, setup_rq_connection

    # The blueprint is registered without a prefix of its own (the mount gives "/rq"), so its
    # static files are served by the app's /static route: point that at rq-dashboard's files.
    flask_app = Flask("hz45_rq_dashboard", static_folder=str(Path(rq_dashboard.__file__).parent / "static"))
    flask_app.config.from_object(default_settings)
    flask_app.config["RQ_DASHBOARD_REDIS_URL"] = redis_url
    flask_app.register_blueprint(blueprint)
    setup_rq_connection(flask_app)
    return SameOriginWrites(AdminOnly(WSGIMiddleware(flask_app)))
