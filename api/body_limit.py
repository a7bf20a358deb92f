"""An ASGI middleware that refuses request bodies over a size limit with HTTP 413."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CODE = "PAYLOAD_TOO_LARGE"


class BodyTooLarge(Exception):
    """The request body grew past the limit while the app read it."""


class BodySizeLimit:
    """Answer 413 with a GraphQL-shaped JSON error to HTTP requests whose body exceeds ``max_bytes``.

    A declared ``Content-Length`` is refused before the app runs; a body without one (chunked)
    is counted as the app reads it, and refused once it passes the limit.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            return await self.refuse(scope, receive, send)
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge:
            if started:  # too late for a 413; the server closes the connection
                raise
            await self.refuse(scope, receive, send)

    async def refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Send the 413 answer."""
        message = f"The request body is larger than the limit of {self.max_bytes} bytes"
        response = JSONResponse({"errors": [{"message": message, "extensions": {"code": CODE}}]}, status_code=413)
        await response(scope, receive, send)
