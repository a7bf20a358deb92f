"""Publish/subscribe for live updates: Redis pub/sub when ``REDIS_URL`` is set, in-process otherwise.

Jobs publish from any thread or process; GraphQL subscriptions listen on the event loop.
Messages are small JSON objects that say *what* changed; subscribers read the data itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import AsyncIterator
from typing import Any

PREFIX = "hz45:"


class LocalBroker:
    """In-process pub/sub; ``publish`` may be called from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Queue]]] = {}

    def publish(self, channel: str, message: dict[str, Any]) -> int:
        """Deliver ``message`` to every current subscriber of ``channel``; how many there were."""
        with self._lock:
            targets = list(self._subscribers.get(channel, ()))
        for loop, queue in targets:
            with contextlib.suppress(RuntimeError):  # that subscriber's loop has closed
                loop.call_soon_threadsafe(queue.put_nowait, message)
        return len(targets)

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[asyncio.Queue]:
        """A queue receiving the channel's messages while the context is open."""
        entry = (asyncio.get_running_loop(), asyncio.Queue())
        with self._lock:
            self._subscribers.setdefault(channel, set()).add(entry)
        try:
            yield entry[1]
        finally:
            with self._lock:
                self._subscribers.get(channel, set()).discard(entry)


local_broker = LocalBroker()


def publish(channel: str, message: dict[str, Any], redis_url: str | None = None) -> None:
    """Publish ``message`` on ``channel`` (through Redis when ``redis_url`` is given)."""
    if redis_url:
        import redis

        client = redis.Redis.from_url(redis_url)
        try:
            client.publish(PREFIX + channel, json.dumps(message))
        finally:
            client.close()
    else:
        local_broker.publish(channel, message)


@contextlib.asynccontextmanager
async def subscription(channel: str, redis_url: str | None = None) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
    """Listen on ``channel``: listening has started when the context is entered.

    Yields an async iterator of messages, so a caller can send an initial state first without
    missing anything published meanwhile.
    """
    if not redis_url:
        async with local_broker.subscribe(channel) as queue:
            async def local_messages() -> AsyncIterator[dict[str, Any]]:
                while True:
                    yield await queue.get()

            yield local_messages()
        return

    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(redis_url)
    pubsub = client.pubsub()
    await pubsub.subscribe(PREFIX + channel)
    # The first message confirms the subscription; after it nothing published can be missed.
    await pubsub.get_message(timeout=5)

    async def redis_messages() -> AsyncIterator[dict[str, Any]]:
        async for raw in pubsub.listen():
            if raw.get("type") == "message":
                yield json.loads(raw["data"])

    try:
        yield redis_messages()
    finally:
        await pubsub.aclose()
        await client.aclose()
