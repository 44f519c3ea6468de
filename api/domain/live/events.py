"""One live stream: the meeting's update notes in (Redis pub/sub through Litestar channels), server-sent
events out.

- It listens for changes before its first read, so no window can fall between the two, and sends the
  current state at once. A meeting's streams listen to the process's one watcher of the meeting's notes
  (api/domain/live/versions.py) and read a document shared by every stream of the same kind and ids
  (api/domain/standings/hot.py): 5,000 streams on a league cost one read per change, not 5,000. A
  player's inbox has a channel of its own.
- Notes only raise a flag: however many arrive while a read or a send is pending, the next read is one,
  of the latest state. Pushes are at least `push_interval_s` apart; a slow client gets the latest state,
  never a backlog.
- An unchanged state is not sent again.
- After `keepalive_s` with nothing sent it re-reads (so a lost note costs one keep-alive period at most)
  and sends the change, or else a comment that keeps proxies from closing the connection.
- It ends after `max_s`: the client reconnects with a new ticket and is authorised again.
- Each event's `id:` is the live state's version (`as_of.version`). A client that reconnects with
  `Last-Event-ID` (EventSource sends it by itself) gets the current state at once only if it is newer
  than what it has seen; otherwise the stream goes on from there, with no repeated event.
- Whatever ends it, a client going away included (Litestar cancels the stream), it unsubscribes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from dataclasses import dataclass

import anyio
import msgspec
from litestar.channels import ChannelsPlugin, Subscriber
from litestar.response import ServerSentEventMessage
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from api.domain.live.versions import LiveVersions, Stamp

log = logging.getLogger("api.live")


@dataclass(frozen=True, slots=True)
class Ready:
    """A state already encoded (a shared document), with its event id."""

    body: bytes
    id: str | None


Read = Callable[[], Awaitable[msgspec.Struct | Ready | None]]
# While open, raises the flag whenever the state may have changed.
Changes = Callable[[asyncio.Event], contextlib.AbstractAsyncContextManager[None]]


@dataclass(frozen=True, slots=True)
class Pace:
    keepalive_s: float = 15.0
    push_interval_s: float = 1.0
    max_s: float = 900.0
    read_timeout_s: float = 10.0


def channel_notes(channels: ChannelsPlugin, channel: str) -> Changes:
    """Changes announced on a pub/sub channel of their own (a player's inbox)."""

    @contextlib.asynccontextmanager
    async def notes(changed: asyncio.Event) -> AsyncIterator[None]:
        subscriber = await channels.subscribe(channel)
        pump = asyncio.create_task(_flag_notes(subscriber, changed))
        try:
            yield
        finally:
            with anyio.CancelScope(shield=True):  # a cancelled stream still gives its subscription back
                pump.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await pump
                await channels.unsubscribe(subscriber, channel)

    return notes


def meeting_changes(
    versions: LiveVersions,
    meeting_key: int,
    recheck_s: float,
    part: Callable[[Stamp], Hashable] = lambda stamp: stamp,
) -> Changes:
    """Changes of a meeting's live state, from the process's one watcher of its notes (no subscription of
    the stream's own): every stream of the process wakes on the same note. `part`: what of the state the
    stream shows (a leaderboard changes with the leagues' write of a window, not with its points')."""

    @contextlib.asynccontextmanager
    async def changes(changed: asyncio.Event) -> AsyncIterator[None]:
        seen = await versions.stamp(meeting_key, watch=True)

        async def pump() -> None:
            nonlocal seen
            while True:
                stamp = await versions.changed_since(meeting_key, seen, recheck_s)
                if stamp != seen:
                    if part(stamp) != part(seen):
                        changed.set()
                    seen = stamp

        task = asyncio.create_task(pump())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return changes


async def live_events(
    changes: Changes,
    event: str,
    read: Read,
    pace: Pace,
    last_event_id: str | None = None,
) -> AsyncIterator[ServerSentEventMessage]:
    changed = asyncio.Event()
    async with changes(changed):  # before the first read: no change can fall between the two
        async for message in _pushes(changed, event, read, pace, last_event_id):
            yield message


async def _pushes(
    changed: asyncio.Event, event: str, read: Read, pace: Pace, last_event_id: str | None
) -> AsyncIterator[ServerSentEventMessage]:
    clock = asyncio.get_running_loop().time
    deadline = clock() + pace.max_s
    last, last_id = await read_state(read, pace)
    read_at = sent_at = clock()
    if last is None:
        yield ServerSentEventMessage(
            data=None, comment="no live scores yet: they come with the first scored window"
        )
    elif last_id is not None and last_id == last_event_id:
        yield ServerSentEventMessage(data=None, comment=f"resumed after event {last_id}: no change since")
    else:
        yield ServerSentEventMessage(data=last.decode(), event=event, id=last_id)
    while True:
        noted = await wait_flag(changed, min(sent_at + pace.keepalive_s, deadline) - clock())
        if clock() >= deadline:
            return
        if noted:
            await asyncio.sleep(max(0.0, read_at + pace.push_interval_s - clock()))
        changed.clear()  # notes from here on ask for another read
        body, body_id = await read_state(read, pace)
        read_at = clock()
        if body is not None and body != last:
            last, sent_at = body, clock()
            yield ServerSentEventMessage(data=body.decode(), event=event, id=body_id)
        elif not noted:
            sent_at = clock()
            yield ServerSentEventMessage(data=None, comment="keep-alive")


async def _flag_notes(subscriber: Subscriber, changed: asyncio.Event) -> None:
    async for _ in subscriber.iter_events():
        changed.set()


async def wait_flag(flag: asyncio.Event, timeout_s: float) -> bool:
    """True when the flag is up within the timeout."""
    with anyio.move_on_after(max(0.0, timeout_s)) as waited:
        await flag.wait()
    return not waited.cancelled_caught


async def read_state(read: Read, pace: Pace) -> tuple[bytes | None, str | None]:
    """The state as JSON and its event id (its live version); None when there is none yet, or when Redis or
    Postgres failed (the next note or keep-alive tries again). Shielded: a read cut off by a disconnect
    would leak its database connection."""
    try:
        with anyio.CancelScope(shield=True), anyio.fail_after(pace.read_timeout_s):
            state = await read()
    except (TimeoutError, RedisError, SQLAlchemyError, OSError) as exc:
        log.warning("a live stream's read failed (%s); it retries on the next update", type(exc).__name__)
        return None, None
    if state is None:
        return None, None
    if isinstance(state, Ready):
        return state.body, state.id
    as_of = getattr(state, "as_of", None)
    version = getattr(as_of, "version", None)
    return msgspec.json.encode(state), None if version is None else str(version)
