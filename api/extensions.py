"""Error handling of the schema: stable error codes, masking and logging of unexpected errors.

An outage of the database or Redis is not a bug: it answers ``SERVICE_UNAVAILABLE`` (naming the
service, never its address) and logs one line instead of a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any

import redis.exceptions
import sqlalchemy.exc
import strawberry
from graphql import GraphQLError
from strawberry.extensions import ParserCache, SchemaExtension
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.schema.schema import DEFAULT_ALLOWED_OPERATION_TYPES
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from domain.errors import CodedError

log = logging.getLogger("hz45.api")

INTERNAL_MESSAGE = "Internal server error"
VALIDATION_CODE = "GRAPHQL_VALIDATION_FAILED"


def _outage(original: BaseException | None) -> str | None:
    """The service a resolver's exception says is down or too slow (``database``, ``redis``), or None."""
    if isinstance(original, sqlalchemy.exc.OperationalError | sqlalchemy.exc.TimeoutError):
        return "database"  # refused or lost connections, statement timeouts, a full pool, a locked SQLite file
    if isinstance(original, redis.exceptions.ConnectionError | redis.exceptions.TimeoutError):
        return "redis"
    return None


def _unavailable(error: GraphQLError, service: str) -> GraphQLError:
    log.warning("%s unavailable: %s", service, type(error.original_error).__name__)
    return GraphQLError(
        f"The {service} is unavailable or too slow right now; try again shortly", nodes=error.nodes, path=error.path,
        extensions={"code": "SERVICE_UNAVAILABLE", "service": service},
    )


def _coded(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    if (service := _outage(original)) is not None:
        return _unavailable(error, service)
    if isinstance(original, CodedError) or (error.extensions or {}).get("code"):
        if isinstance(original, CodedError):
            error.extensions = {**(error.extensions or {}), **original.extensions}
        return error
    if original is None or isinstance(original, GraphQLError):
        # Parse, validation and variable-coercion errors: the client's fault, safe to show.
        error.extensions = {**(error.extensions or {}), "code": VALIDATION_CODE}
        return error
    log.error("unexpected error in resolver", exc_info=original)
    return GraphQLError(
        INTERNAL_MESSAGE, nodes=error.nodes, path=error.path,
        extensions={"code": "INTERNAL_SERVER_ERROR"},
    )


class ErrorCodes(SchemaExtension):
    """Give every error a ``code``; replace unexpected exceptions by a generic message."""

    def on_operation(self) -> Iterator[None]:
        yield
        context = self.execution_context
        result = context.result
        if result is not None and result.errors:
            result.errors = [_coded(e) for e in result.errors]
        if context.pre_execution_errors:
            context.pre_execution_errors = [_coded(e) for e in context.pre_execution_errors]


class DocumentCache(ParserCache):
    """Strawberry's parser cache, except that a document that does not parse is left to
    Strawberry's own parse, which reports it as a coded error: raised from the cache's hook, the
    error would skip the error handling (errors are not cached, so it is parsed twice)."""

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        try:
            context.graphql_document = self.cached_parse_document(context.query, **context.parse_options)
        except GraphQLError:
            pass
        yield


class SubscriptionNeedsAStream(InvalidOperationTypeError):
    """A subscription sent where one result is expected; the view answers HTTP 400 with this reason."""

    def __init__(self) -> None:
        super().__init__(OperationType.SUBSCRIPTION)

    def as_http_error_reason(self, method: str) -> str:
        return (f"A subscription is not answered by one {method} response: subscribe over a WebSocket at /graphql "
                "(graphql-transport-ws)")


class Schema(strawberry.Schema):
    """Logs only unexpected errors; client errors (coded or invalid queries) are not news.

    ``execute`` gives one result, so it refuses subscriptions (Strawberry would run their
    generator as a resolver and fail); WebSockets and streaming responses go through ``stream``.
    """

    async def execute(self, query: str | None, *args: Any,
                      allowed_operation_types: Iterable[OperationType] | None = None, **kwargs: Any) -> ExecutionResult:
        if allowed_operation_types is None:
            allowed_operation_types = DEFAULT_ALLOWED_OPERATION_TYPES
        allowed = set(allowed_operation_types) - {OperationType.SUBSCRIPTION}
        try:
            return await super().execute(query, *args, allowed_operation_types=allowed, **kwargs)
        except InvalidOperationTypeError as error:
            if error.operation_type is OperationType.SUBSCRIPTION:
                raise SubscriptionNeedsAStream from error
            raise

    def process_errors(self, errors, execution_context=None) -> None:
        unexpected = [
            e for e in errors
            if e.original_error is not None and not isinstance(e.original_error, GraphQLError | CodedError)
            and _outage(e.original_error) is None
        ]
        if unexpected:
            super().process_errors(unexpected, execution_context)
