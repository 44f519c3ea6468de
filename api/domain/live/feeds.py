"""Live feeds: one task per followed state (a league's top, a team's score) per process, and one event frame
per state, written as the same bytes to every stream that follows it.

A feed waits for its meeting's changes (the process's watcher of the notes), keeps its pace, reads the
shared document once and encodes its server-sent event once (Litestar's encoder). A stream with no part of
its own (`broadcast`) is written by the feed's task itself: one loop over its streams' ASGI sends, each of
which uvicorn completes at once unless that client's socket is full (that send alone then waits on a task
of its own, and the client gets the newest frame after it). With 5,000 streams on a league a window costs
one read, one encoding and 5,000 socket writes from one task: no 5,000 tasks woken, each resuming its
stream's generator and Litestar's stream loop (which made the fan-out take longer than a window at 1M
teams, so streams skipped windows). A stream that adds a part of its own (a leaderboard's `own` rank,
`follow`) is a generator of its own that makes its frame from the shared body. A feed ends with its
last stream. Everything a stream promised before holds (api/domain/live/events.py): the current state at
once, an unchanged state not sent again, keep-alives, `Last-Event-ID`, the end after `max_s`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Generator, Hashable
from dataclasses import dataclass, field
from typing import Any

from litestar.response import ServerSentEventMessage
from litestar.types import HTTPResponseBodyEvent, Send

from api.domain.live.events import Changes, Pace, Read, read_state, wait_flag

log = logging.getLogger("api.live")
# A stream's own frame from the shared state (None: send nothing for it).
Personal = Callable[["Frame"], Awaitable["Frame | None"]]
NO_SCORES = ServerSentEventMessage(
    data=None, comment="no live scores yet: they come with the first scored window"
).encode()
KEEP_ALIVE = ServerSentEventMessage(data=None, comment="keep-alive").encode()
TICKS_PER_KEEPALIVE = 3  # a keep-alive goes out 1 to 1.33 periods after the last event, an end as late


@dataclass(frozen=True, slots=True)
class Frame:
    """One state: its JSON, its event id, and its whole server-sent event as sent."""

    body: bytes
    id: str | None
    encoded: bytes

    @classmethod
    def of(cls, event: str, body: bytes, event_id: str | None) -> Frame:
        message = ServerSentEventMessage(data=body.decode(), event=event, id=event_id)
        return cls(body, event_id, message.encode())


@dataclass(eq=False, slots=True)
class Listener:
    """A stream written by its feed's task (`broadcast`): its ASGI send, what it was last sent and when,
    and the send still waiting for a slow client to read (then the newest frame follows it)."""

    send: Send
    sent: Frame | None
    sent_at: float
    deadline: float
    ended: asyncio.Future[None]
    waiting: asyncio.Future[None] | None = None


@dataclass(slots=True)
class Feed:
    changes: Changes
    event: str
    read: Read
    pace: Pace
    current: Frame | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)  # replaced at each new frame
    started: asyncio.Event = field(default_factory=asyncio.Event)  # set after the first read
    streams: int = 0
    task: asyncio.Task[None] | None = None
    listeners: set[Listener] = field(default_factory=set)  # streams this feed's task writes itself

    async def run(self) -> None:
        try:
            await self._follow()
        except Exception:  # its streams keep their keep-alives; the next stream starts a new feed
            log.exception("a live feed stopped")
            raise

    async def _follow(self) -> None:
        clock = asyncio.get_running_loop().time
        noted = asyncio.Event()
        async with self.changes(noted):  # before the first read: no change can fall between the two
            try:
                await self._read()
            finally:
                self.started.set()
            read_at = clock()
            ticks = asyncio.create_task(self._tick())
            try:
                await self._loop(noted, read_at)
            finally:
                ticks.cancel()

    async def _loop(self, noted: asyncio.Event, read_at: float) -> None:
        clock = asyncio.get_running_loop().time
        while True:
            # A lost note costs one keep-alive period at most: the state is read again anyway.
            if await wait_flag(noted, self.pace.keepalive_s):
                await asyncio.sleep(max(0.0, read_at + self.pace.push_interval_s - clock()))
            noted.clear()  # notes from here on ask for another read
            await self._read()
            read_at = clock()

    async def _read(self) -> None:
        body, event_id = await read_state(self.read, self.pace)
        if body is None:  # none yet, or a failed read: the streams keep what they have
            return
        # A new frame even for the same body: a stream with a part of its own makes its frame again.
        self.current = Frame.of(self.event, body, event_id)
        self._wake()
        for listener in list(self.listeners):
            self.offer(listener)

    def offer(self, listener: Listener) -> None:
        """The current frame to a listener, unless it has it or a send of it still waits (the newest frame
        goes once that one is through: a slow client gets the latest state, never a backlog)."""
        current = self.current
        if listener.waiting is not None or current is None or listener.ended.done():
            return
        if listener.sent is not None and listener.sent.body == current.body:
            return
        listener.sent = current
        self._write(listener, current.encoded)

    def _write(self, listener: Listener, frame: bytes) -> None:
        listener.sent_at = asyncio.get_running_loop().time()
        message: HTTPResponseBodyEvent = {"type": "http.response.body", "body": frame, "more_body": True}
        try:
            rest = start(listener.send(message))
        except Exception:  # the client went away: its stream ends
            _end(listener)
            return
        if rest is not None:  # the client's socket is full: the rest of the send waits on its own
            listener.waiting = asyncio.ensure_future(rest)
            listener.waiting.add_done_callback(lambda done: self._written(listener, done))

    def _written(self, listener: Listener, done: asyncio.Future[None]) -> None:
        listener.waiting = None
        if done.cancelled() or done.exception() is not None:
            _end(listener)
        else:
            self.offer(listener)

    async def _tick(self) -> None:
        """Wakes the streams a few times per keep-alive period, with or without a new frame: each then
        sends its keep-alive or ends at its time (no timer of each stream's own)."""
        clock = asyncio.get_running_loop().time
        while True:
            await asyncio.sleep(self.pace.keepalive_s / TICKS_PER_KEEPALIVE)
            self._wake()
            now = clock()
            for listener in list(self.listeners):
                if now >= listener.deadline:
                    _end(listener)
                elif listener.waiting is None and now - listener.sent_at >= self.pace.keepalive_s:
                    self._write(listener, KEEP_ALIVE)

    def _wake(self) -> None:
        woken, self.changed = self.changed, asyncio.Event()
        woken.set()


class Feeds:
    """The process's feeds, by what they follow; each lives while a stream follows it."""

    def __init__(self) -> None:
        self._feeds: dict[Hashable, Feed] = {}

    @contextlib.asynccontextmanager
    async def following(self, key: Hashable, make: Callable[[], Feed]) -> AsyncIterator[Feed]:
        feed = self._feeds.get(key)
        if feed is None or (feed.task is not None and feed.task.done()):  # none, or one that failed
            feed = self._feeds[key] = make()
            feed.task = asyncio.create_task(feed.run())
        feed.streams += 1
        try:
            await feed.started.wait()
            yield feed
        finally:
            feed.streams -= 1
            if feed.streams == 0 and self._feeds.get(key) is feed:
                del self._feeds[key]
                if feed.task is not None:
                    feed.task.cancel()

    def __len__(self) -> int:
        return len(self._feeds)

    async def close(self) -> None:
        tasks = [f.task for f in self._feeds.values() if f.task is not None]
        self._feeds.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


def _end(listener: Listener) -> None:
    if not listener.ended.done():
        listener.ended.set_result(None)


def start(send: Awaitable[None]) -> Awaitable[None] | None:
    """Runs an ASGI send until it is done (None) or has to wait (its rest, to await): uvicorn writes to the
    socket at once unless the client's buffer is full, so 5,000 streams' writes of a frame are one loop in
    the feed's task instead of 5,000 tasks woken, each through the stream's generator."""
    if not isinstance(send, Coroutine):
        return send
    try:
        first = send.send(None)
    except StopIteration:
        return None
    return _Rest(send, first)


class _Rest:
    """The rest of a started coroutine, as an awaitable: hands its task what the coroutine waits on."""

    __slots__ = ("coroutine", "first")

    def __init__(self, coroutine: Coroutine[Any, Any, None], first: Any) -> None:
        self.coroutine, self.first = coroutine, first

    def __await__(self) -> Generator[Any, None, None]:
        try:
            yield self.first
        except BaseException:
            self.coroutine.close()
            raise
        return (yield from self.coroutine.__await__())


async def broadcast(
    feeds: Feeds, key: Hashable, make: Callable[[], Feed], last_event_id: str | None, send: Send
) -> None:
    """One stream of a feed, written by the feed's own task after its first frame (no part of its own):
    what `follow` sends, the same way, until its end or the client's."""
    async with feeds.following(key, make) as feed:
        loop = asyncio.get_running_loop()
        shared = feed.current
        if shared is None:
            first = NO_SCORES
        elif shared.id is not None and shared.id == last_event_id:
            first = ServerSentEventMessage(
                data=None, comment=f"resumed after event {shared.id}: no change since"
            ).encode()
        else:
            first = shared.encoded
        await send({"type": "http.response.body", "body": first, "more_body": True})
        listener = Listener(send, shared, loop.time(), loop.time() + feed.pace.max_s, loop.create_future())
        feed.listeners.add(listener)
        try:
            feed.offer(listener)  # a frame made while the first one went out
            await listener.ended
        finally:
            feed.listeners.discard(listener)
            if listener.waiting is not None:
                listener.waiting.cancel()


async def follow(
    feeds: Feeds,
    key: Hashable,
    make: Callable[[], Feed],
    last_event_id: str | None = None,
    personal: Personal | None = None,
) -> AsyncIterator[bytes]:
    """One stream of a feed, as the bytes to send: the current state at once, then each new one."""
    async with feeds.following(key, make) as feed:
        clock = asyncio.get_running_loop().time
        deadline = clock() + feed.pace.max_s
        changed = feed.changed
        shared = feed.current
        own = shared if personal is None or shared is None else await personal(shared)
        if own is None:
            yield NO_SCORES
        elif own.id is not None and own.id == last_event_id:
            yield ServerSentEventMessage(
                data=None, comment=f"resumed after event {own.id}: no change since"
            ).encode()
        else:
            yield own.encoded
        sent, sent_at = own, clock()
        while True:
            await changed.wait()  # a new frame, or the feed's tick
            changed = feed.changed
            now = clock()
            if now >= deadline:
                return
            if feed.current is not None and feed.current is not shared:
                shared = feed.current
                own = shared if personal is None else await personal(shared)
                if own is not None and (sent is None or own.body != sent.body):
                    sent, sent_at = own, now
                    yield own.encoded
                    continue
            if now - sent_at >= feed.pace.keepalive_s:
                sent_at = now
                yield KEEP_ALIVE
