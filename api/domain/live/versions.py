"""Which live state each meeting is at, known in this process's memory, so that a hot read asks Redis
nothing before finding its ready document.

The engine writes a window in three parts (points, then every team's totals, then the leagues), each in
a MULTI/EXEC that also PUBLISHes a note on the meeting's channel; a note therefore arrives after its
data is readable. One watcher per meeting (one subscriber on the process's one pub/sub connection,
Litestar channels) re-reads the meeting's three versions on each note and wakes whoever waits for a
change (the live streams). Where no note came for `max_age_s` (no watcher yet, or a quiet meeting) a
read asks Redis again: a lost note or a dropped subscription costs that long at most. A player's write
through any API process is announced on a channel of its own: every process then forgets what its hot
reads kept and counts a new state, so streams read again at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import redis.asyncio as redis_async
from litestar.channels import ChannelsPlugin
from redis.exceptions import RedisError

from store import live_keys as keys

log = logging.getLogger(__name__)
MAX_WATCHED = 64  # meetings with a watcher of their own; others are read at most every max_age_s


@dataclass(frozen=True, slots=True)
class Stamp:
    """A meeting's live state: the versions its points, team totals and league standings are of."""

    version: int | None
    totals: int | None
    leagues: int | None
    writes: int = 0  # the process's count of players' writes heard: a write makes a new state too

    @property
    def tag(self) -> str:
        return f"{self.version or 0}.{self.totals or 0}.{self.leagues or 0}"


NONE = Stamp(None, None, None)


@dataclass(slots=True)
class _Meeting:
    stamp: Stamp = NONE
    checked_at: float = float("-inf")
    changed: asyncio.Event = field(default_factory=asyncio.Event)  # replaced on each change
    reading: asyncio.Task[Stamp] | None = None
    watcher: asyncio.Task[None] | None = None


class LiveVersions:
    def __init__(self, client: redis_async.Redis, channels: ChannelsPlugin, max_age_s: float) -> None:
        self.client = client
        self.channels = channels
        self.max_age_s = max_age_s
        self._meetings: dict[int, _Meeting] = {}
        self.writes = 0
        self._on_write: list[Callable[[], None]] = []
        self._writes_watcher: asyncio.Task[None] | None = None

    def on_write(self, forget: Callable[[], None]) -> None:
        """Call `forget` whenever a player's write is heard (from any process of the API)."""
        self._on_write.append(forget)

    async def announce_write(self) -> None:
        """After a player's write (committed): every process forgets what its hot reads kept and its
        streams read again at once, so a player's own chip or Final Fix reaches their stream."""
        self._heard_write()
        try:
            await self.client.publish(keys.api_writes_channel(), b"1")
        except RedisError as exc:  # the others see it within their cache time
            log.warning("a write went unannounced (%s)", type(exc).__name__)

    def _heard_write(self) -> None:
        self.writes += 1
        for forget in self._on_write:
            forget()
        for meeting in self._meetings.values():
            meeting.stamp = replace(meeting.stamp, writes=self.writes)
            woken, meeting.changed = meeting.changed, asyncio.Event()
            woken.set()

    async def _watch_writes(self) -> None:
        subscriber = await self.channels.subscribe(keys.api_writes_channel())
        try:
            async for _ in subscriber.iter_events():
                self._heard_write()
        finally:
            with contextlib.suppress(Exception):
                await asyncio.shield(self.channels.unsubscribe(subscriber))

    async def stamp(self, meeting_key: int, watch: bool = False) -> Stamp:
        """The meeting's current state: from memory while a note or a read said so within max_age_s.
        `watch`: follow its notes even before it has live state (a stream waits for its first window)."""
        meeting = self._meetings.get(meeting_key)
        fresh = meeting is not None and time.monotonic() - meeting.checked_at < self.max_age_s
        if meeting is not None and fresh and (meeting.watcher is not None or not watch):
            return meeting.stamp
        return await self._refresh(meeting_key, watch)

    async def changed_since(self, meeting_key: int, seen: Stamp, timeout_s: float) -> Stamp:
        """The meeting's state once it differs from `seen` (or after the timeout, whatever it is then)."""
        current = await self.stamp(meeting_key)
        if current != seen:
            return current
        meeting = self._meetings.get(meeting_key)
        with contextlib.suppress(TimeoutError):
            if meeting is None:  # forgotten meanwhile (too many meetings asked for): ask again later
                await asyncio.sleep(timeout_s)
            else:
                await asyncio.wait_for(meeting.changed.wait(), timeout_s)
        return await self.stamp(meeting_key)

    async def close(self) -> None:
        tasks = [t for m in self._meetings.values() for t in (m.watcher, m.reading) if t is not None]
        tasks += [self._writes_watcher] if self._writes_watcher is not None else []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._meetings.clear()

    async def _refresh(self, meeting_key: int, watch: bool = False) -> Stamp:
        """One read of the meeting's versions, shared by every caller that asks meanwhile."""
        meeting = self._meetings.get(meeting_key)
        if meeting is None:
            meeting = self._meetings[meeting_key] = _Meeting()
            if len(self._meetings) > MAX_WATCHED * 16:  # unknown meeting keys must not grow this forever
                self._forget_unwatched()
                self._meetings[meeting_key] = meeting
        if self._writes_watcher is None:  # the first read of the process: hear the others' writes from now
            self._writes_watcher = asyncio.create_task(self._watch_writes())
        if meeting.reading is None or meeting.reading.done():
            meeting.reading = asyncio.create_task(self._read(meeting_key, meeting))
        stamp = await asyncio.shield(meeting.reading)
        live = stamp.version is not None or watch
        if meeting.watcher is None and live and self._watched() < MAX_WATCHED:
            meeting.watcher = asyncio.create_task(self._watch(meeting_key, meeting))
        return stamp

    async def _read(self, meeting_key: int, meeting: _Meeting) -> Stamp:
        checked_at = time.monotonic()  # before the read: a note during it is not lost
        pipe = self.client.pipeline(transaction=True)
        pipe.get(keys.meeting_version(meeting_key))
        pipe.get(keys.totals_version(meeting_key))
        pipe.get(keys.league_version(meeting_key))
        version, totals, leagues = await pipe.execute()
        number = [None if raw is None else int(raw) for raw in (version, totals, leagues)]
        stamp = Stamp(number[0], number[1], number[2], self.writes)
        if stamp != meeting.stamp:
            meeting.stamp = stamp
            woken, meeting.changed = meeting.changed, asyncio.Event()
            woken.set()
        meeting.checked_at = checked_at
        return stamp

    async def _watch(self, meeting_key: int, meeting: _Meeting) -> None:
        """Re-read the versions on each note of the meeting's channel (the backlog keeps the latest)."""
        subscriber = await self.channels.subscribe(keys.updates_channel(meeting_key))
        try:
            with contextlib.suppress(RedisError):
                await self._read(meeting_key, meeting)  # a window written before the subscription
            async for _ in subscriber.iter_events():
                try:
                    await self._read(meeting_key, meeting)
                except RedisError as exc:  # the next note, or a read after max_age_s, tries again
                    log.warning("live versions of meeting %d unread (%s)", meeting_key, type(exc).__name__)
        finally:
            with contextlib.suppress(Exception):
                await asyncio.shield(self.channels.unsubscribe(subscriber))

    def _watched(self) -> int:
        return sum(1 for m in self._meetings.values() if m.watcher is not None)

    def _forget_unwatched(self) -> None:
        for key in [
            k
            for k, m in self._meetings.items()
            if m.watcher is None and (m.reading is None or m.reading.done())
        ]:
            del self._meetings[key]
