"""Answers a process keeps a short while (API_READ_CACHE_MS): what Postgres or Redis said of a session, of a
reader's access to a league or a team, of a team's roster, asked again by every hot read of a race.

Bounded (the oldest go first) and cleared by `forget` after a write in this process; other processes
see a write once their copy ages out.
"""

from __future__ import annotations

import time
from collections.abc import Hashable
from typing import Generic, TypeVar

V = TypeVar("V")
MAX_ENTRIES = 200_000


class ShortCache(Generic[V]):
    def __init__(self, ttl_s: float, max_entries: int = MAX_ENTRIES) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._entries: dict[Hashable, tuple[float, V]] = {}

    def get(self, key: Hashable) -> V | None:
        """The value kept for `key`, None when there is none or it is older than the TTL."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if time.monotonic() - entry[0] >= self.ttl_s:
            del self._entries[key]
            return None
        return entry[1]

    def put(self, key: Hashable, value: V) -> None:
        if self.ttl_s <= 0:
            return
        self._entries.pop(key, None)  # re-inserted last: the dictionary's order is the age order
        self._entries[key] = (time.monotonic(), value)
        while len(self._entries) > self.max_entries:
            del self._entries[next(iter(self._entries))]

    def drop(self, key: Hashable) -> None:
        self._entries.pop(key, None)

    def forget(self) -> None:
        self._entries.clear()
