"""The reference web client: static files at ``/`` and ``/static/`` that use the public GraphQL API only.

Plain ES modules, no build step; Chart.js is vendored (``static/vendor/NOTICE.md``).
docs/web-client.md describes its pages and the GraphQL each one sends.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"


async def index(request: Request) -> FileResponse:
    """The client's single page (it routes by the URL's ``#`` part)."""
    return FileResponse(STATIC / "index.html", media_type="text/html")


def web_routes() -> list[Route | Mount]:
    """``/`` (the page) and ``/static/`` (its modules, styles and Chart.js)."""
    return [
        Route("/", index, name="web-client"),
        Mount("/static", app=StaticFiles(directory=STATIC), name="web-static"),
    ]
