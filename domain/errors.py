"""Errors a client may see, each with a stable ``code`` (SPEC §3 conventions).

Plain exceptions, so domain code and jobs raise them without knowing about GraphQL; the API
reports ``code`` and the keyword details as the error's ``extensions``.
"""

from __future__ import annotations

from typing import Any


class CodedError(Exception):
    """Base of every error a client may see; ``code`` goes into ``extensions.code``."""

    code = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extensions: dict[str, Any] = {"code": self.code, **extensions}


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


class NotReady(CodedError):
    """What was asked needs something that is not there yet (a trained model, audio features)."""

    code = "NOT_READY"
