"""Answers every client shares, computed once per process and kept for a short while."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


class AnswerCache:
    """An LRU of at most ``size`` answers, each kept at most ``seconds``.

    For answers that do not depend on who asks and change only when a job runs (the whole
    service's listening statistics): the key names the data's version, ``seconds`` bounds what
    the key cannot see. Resolvers run on one event loop, so no lock is needed; two requests that
    miss at once both compute.
    """

    def __init__(self, seconds: float = 300, size: int = 256) -> None:
        self.seconds, self.size = seconds, size
        self._answers: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()

    async def get(self, key: Hashable, compute: Callable[[], Awaitable[T]]) -> T:
        """The answer stored under ``key``, or ``await compute()`` stored there."""
        now = time.monotonic()
        hit = self._answers.get(key)
        if hit is not None and now - hit[0] < self.seconds:
            self._answers.move_to_end(key)
            return hit[1]
        value = await compute()
        self._answers[key] = (now, value)
        self._answers.move_to_end(key)
        while len(self._answers) > self.size:
            self._answers.popitem(last=False)
        return value
