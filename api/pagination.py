"""Relay pagination: Strawberry's connection types with keyset cursors and a lazy total count.

``Connection[Track]`` is the schema's ``TrackConnection`` (edges ``TrackEdge``); cursors are
opaque encodings of a row's sort key, so pages stay stable while rows are added.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from strawberry import relay
from strawberry.relay.types import NodeType

from domain.errors import BadUserInput
from domain.validation import MAX_DB_ID

# Far longer than any cursor this module writes (a few sort-key values).
MAX_CURSOR_LENGTH = 200


@strawberry.type(description="A page of a list with keyset cursors.")
class Connection(relay.Connection[NodeType]):
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="Items in the whole list (one extra query; ask only when needed).")
    async def total_count(self) -> int:
        return await self.count()

    @classmethod
    def of(cls, nodes: list[NodeType], cursors: list[str], *, has_next: bool, has_previous: bool,
           count: Callable[[], Awaitable[int]]) -> Connection[NodeType]:
        """A page of ``nodes`` with their cursors; ``count`` runs only when a client asks."""
        edges = [relay.Edge(cursor=c, node=n) for n, c in zip(nodes, cursors, strict=True)]
        return cls(
            edges=edges, count=count,
            page_info=relay.PageInfo(has_next_page=has_next, has_previous_page=has_previous,
                                     start_cursor=cursors[0] if cursors else None,
                                     end_cursor=cursors[-1] if cursors else None),
        )


def encode_cursor(*values: Any) -> str:
    """An opaque cursor for a row's sort key."""
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode()


def decode_cursor(cursor: str, types: tuple[type, ...]) -> tuple[Any, ...]:
    """The sort key inside ``cursor``; a malformed cursor is a ``BAD_USER_INPUT`` error.

    Integers must fit the id columns (32 bits on PostgreSQL): a bigger one would fail in the driver.
    """
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError("too long")
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(values, list) or len(values) != len(types):
            raise ValueError("wrong arity")
        if not all(type(v) is t for v, t in zip(values, types, strict=True)):
            raise ValueError("wrong types")
        if any(type(v) is int and abs(v) > MAX_DB_ID for v in values):
            raise ValueError("out of range")
        return tuple(values)
    except (ValueError, binascii.Error, UnicodeError, RecursionError) as exc:
        raise BadUserInput("Malformed cursor: pass an endCursor from a previous page", argument="after") from exc


def page_size(first: int | None, default: int, maximum: int) -> int:
    """Validate ``first``: 1..maximum, defaulting to ``default``."""
    if first is None:
        return default
    if first < 1 or first > maximum:
        raise BadUserInput(f"first must be between 1 and {maximum}, got {first}", argument="first")
    return first
