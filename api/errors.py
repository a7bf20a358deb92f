"""GraphQL errors with a stable ``code`` extension (SPEC §3 conventions)."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError


class CodedError(GraphQLError):
    """Base of every error a client may see; ``code`` goes into ``extensions.code``."""

    code = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message, extensions={"code": self.code, **extensions})


class BadUserInput(CodedError):
    code = "BAD_USER_INPUT"


class NotFound(CodedError):
    code = "NOT_FOUND"


class Unauthenticated(CodedError):
    code = "UNAUTHENTICATED"


class Forbidden(CodedError):
    code = "FORBIDDEN"


class RateLimited(CodedError):
    code = "RATE_LIMITED"


INTERNAL_MESSAGE = "Internal server error"
VALIDATION_CODE = "GRAPHQL_VALIDATION_FAILED"
