"""A generic Relay-style connection (``Connection[Playlist]`` is ``PlaylistConnection``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import strawberry

from api.catalog.types import PageInfo

T = TypeVar("T")


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="Items in the whole list (one extra query; ask only when needed).")
    async def total_count(self) -> int:
        return await self.count()

    @classmethod
    def of(cls, nodes: list[T], cursors: list[str], *, has_next: bool, has_previous: bool,
           count: Callable[[], Awaitable[int]]) -> Connection[T]:
        """A page of ``nodes`` with their cursors."""
        edges = [Edge(cursor=c, node=n) for n, c in zip(nodes, cursors, strict=True)]
        return cls(
            edges=edges, count=count,
            page_info=PageInfo(has_next_page=has_next, has_previous_page=has_previous,
                               start_cursor=cursors[0] if cursors else None,
                               end_cursor=cursors[-1] if cursors else None),
        )
