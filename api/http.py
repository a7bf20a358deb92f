"""Strawberry's ASGI view with the HTTP-level answers a GraphQL client can read.

A request that is not GraphQL at all (a body that is not a JSON object, an unknown
``operationName``, a wrong method) gets its HTTP status with a GraphQL-shaped JSON error
instead of Strawberry's plain text, and a body of ``null``, ``42`` or ``"x"`` gets 400 instead
of the 500 that Strawberry's ``data.get("query")`` would raise; so does a body that is not UTF-8.
"""

from __future__ import annotations

import json

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL

CODES = {400: "BAD_REQUEST", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}


def error_response(status_code: int, message: str) -> JSONResponse:
    """A GraphQL-shaped JSON error with ``extensions.code`` named after the HTTP status."""
    code = CODES.get(status_code, "BAD_REQUEST")
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]}, status_code=status_code)


class GraphQLView(GraphQL):
    """``strawberry.asgi.GraphQL`` that answers malformed requests with JSON errors."""

    def decode_json(self, data: str | bytes) -> object:
        """The request's JSON (the body, or a ``variables`` parameter), which must be an object
        (or a list of them, for batches)."""
        try:
            value = json.loads(data)
        # nesting deeper than the parser goes, or bytes that are not UTF-8 (nor UTF-16/32)
        except (RecursionError, UnicodeDecodeError) as exc:
            raise HTTPException(400, "Unable to parse request body as JSON") from exc
        if isinstance(value, list) and all(isinstance(item, dict) for item in value):
            return value
        if not isinstance(value, dict):
            raise HTTPException(400, "Expected a JSON object: a GraphQL request has `query`, `variables` and "
                                     "`operationName`")
        return value

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await super().__call__(scope, receive, send)
        try:
            response = await self.run(Request(scope=scope, receive=receive))
        except HTTPException as exc:
            response = error_response(exc.status_code, exc.reason)
        await response(scope, receive, send)
