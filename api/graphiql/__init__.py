"""GraphiQL at /graphql with its scripts and styles served by the app (no CDN, works offline).

The page is Strawberry's GraphiQL page pointing at copies of the same npm files under
``/graphiql/`` (see ``assets/NOTICE.md`` for where they come from).
"""

from __future__ import annotations

import functools
from pathlib import Path

from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

HERE = Path(__file__).parent
ASSETS = HERE / "assets"
ASSETS_PATH = "/graphiql"


@functools.cache
def graphiql_page() -> str:
    """The GraphiQL HTML page; every script and stylesheet it loads is under :data:`ASSETS_PATH`."""
    return (HERE / "page.html").read_text(encoding="utf-8")


def graphiql_assets() -> Mount:
    """The route serving GraphiQL's vendored files."""
    return Mount(ASSETS_PATH, app=StaticFiles(directory=ASSETS), name="graphiql-assets")
