"""Live feeds (api/domain/live/feeds.py): every stream of a state gets the same encoded frame from one
read per change, the current state at once, no repeat of an unchanged state, its own part where it has
one, keep-alives, `Last-Event-ID`, its end after `max_s`, and the feed ends with its last stream."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from api.domain.live.events import Pace, Ready
from api.domain.live.feeds import KEEP_ALIVE, NO_SCORES, Feed, Feeds, Frame, broadcast, follow


class Source:
    """A state that the test moves, with the notes a meeting's watcher would raise."""

    def __init__(self) -> None:
        self.state: int | None = 1
        self.reads = 0
        self.flags: list[asyncio.Event] = []

    @contextlib.asynccontextmanager
    async def changes(self, noted: asyncio.Event) -> AsyncIterator[None]:
        self.flags.append(noted)
        try:
            yield
        finally:
            self.flags.remove(noted)

    async def read(self) -> Ready | None:
        self.reads += 1
        return None if self.state is None else Ready(b'{"state":%d}' % self.state, str(self.state))

    def move(self, state: int) -> None:
        self.state = state
        for flag in self.flags:
            flag.set()


def frame(state: int) -> bytes:
    return Frame.of("board", b'{"state":%d}' % state, str(state)).encoded


async def take(stream: AsyncIterator[bytes], count: int) -> list[bytes]:
    return [await anext(stream) for _ in range(count)]


def test_streams_of_one_state_share_one_read_and_one_frame_per_change() -> None:
    source, feeds = Source(), Feeds()
    pace = Pace(keepalive_s=60, push_interval_s=0.01, max_s=60)

    def make() -> Feed:
        return Feed(source.changes, "board", source.read, pace)

    async def scenario() -> list[list[bytes]]:
        streams = [follow(feeds, "k", make) for _ in range(200)]
        first = await asyncio.gather(*(take(s, 1) for s in streams))
        assert source.reads == 1
        assert len(source.flags) == 1
        source.move(2)
        second = await asyncio.gather(*(take(s, 1) for s in streams))
        source.move(2)  # a note with no change: nothing sent
        source.move(3)
        third = await asyncio.gather(*(take(s, 1) for s in streams))
        for stream in streams:
            await stream.aclose()  # the clients go away
        await asyncio.sleep(0)
        assert len(feeds) == 0
        assert source.flags == []
        return [a + b + c for a, b, c in zip(first, second, third, strict=True)]

    sent = asyncio.run(scenario())
    assert all(s == [frame(1), frame(2), frame(3)] for s in sent)
    assert len({id(s[1]) for s in sent}) == 1  # the same bytes object went to every stream
    assert source.reads <= 4  # first, 2, and 3 (the repeated note may coalesce with the next)


def test_a_stream_adds_its_own_part_and_resumes_after_the_last_event_id() -> None:
    source, feeds = Source(), Feeds()
    pace = Pace(keepalive_s=60, push_interval_s=0.0, max_s=60)

    def make() -> Feed:
        return Feed(source.changes, "board", source.read, pace)

    async def own(shared: Frame) -> Frame:
        return Frame.of("board", shared.body[:-1] + b',"own":7}', shared.id)

    async def scenario() -> tuple[list[bytes], list[bytes]]:
        mine = follow(feeds, "k", make, personal=own)
        resumed = follow(feeds, "k", make, last_event_id="1")
        got = await take(mine, 1)
        again = await take(resumed, 1)
        source.move(2)
        got += await take(mine, 1)
        again += await take(resumed, 1)
        await mine.aclose()
        await resumed.aclose()
        return got, again

    got, again = asyncio.run(scenario())
    assert got == [
        Frame.of("board", b'{"state":1,"own":7}', "1").encoded,
        Frame.of("board", b'{"state":2,"own":7}', "2").encoded,
    ]
    assert again[0].startswith(b": resumed after event 1")
    assert again[1] == frame(2)


def test_no_state_yet_keep_alives_and_the_end_after_max_s() -> None:
    source, feeds = Source(), Feeds()
    source.state = None
    pace = Pace(keepalive_s=0.05, push_interval_s=0.0, max_s=0.4)

    def make() -> Feed:
        return Feed(source.changes, "score", source.read, pace)

    async def scenario() -> list[bytes]:
        return [chunk async for chunk in follow(feeds, "k", make)]

    sent = asyncio.run(scenario())
    assert sent[0] == NO_SCORES
    assert sent[1:] == [KEEP_ALIVE] * (len(sent) - 1)
    assert len(sent) >= 4
    assert source.reads >= 3  # the feed read again each keep-alive period (a lost note costs one)


class Client:
    """A stream's ASGI send: what it was sent; while `full`, a send waits for the client to read (as
    uvicorn's does when the socket's buffer is full)."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.full = False
        self.read = asyncio.Event()

    async def send(self, message: Any) -> None:
        if self.full:
            await self.read.wait()
        self.bodies.append(message["body"])


async def until(check: Callable[[], bool]) -> None:
    while not check():
        await asyncio.sleep(0.001)


def test_a_feed_writes_one_frame_to_every_stream_and_a_slow_client_gets_the_latest_after_its_wait() -> None:
    source, feeds = Source(), Feeds()
    pace = Pace(keepalive_s=60, push_interval_s=0.0, max_s=60)

    def make() -> Feed:
        return Feed(source.changes, "board", source.read, pace)

    async def scenario() -> tuple[list[Client], Client]:
        clients, slow = [Client() for _ in range(200)], Client()
        streams = [asyncio.create_task(broadcast(feeds, "k", make, None, c.send)) for c in [*clients, slow]]
        await until(lambda: all(len(c.bodies) == 1 for c in [*clients, slow]))
        slow.full = True
        source.move(2)  # the slow client's send of 2 waits; 3 and 4 come meanwhile
        await until(lambda: all(len(c.bodies) == 2 for c in clients))
        for state in (3, 4):
            source.move(state)
            await until(lambda s=state: all(c.bodies[-1] == frame(s) for c in clients))
        assert slow.bodies == [frame(1)]
        slow.read.set()  # it reads: its send of 2 goes, then the latest state, 4 (never 3)
        await until(lambda: len(slow.bodies) == 3)
        for stream in streams:  # the clients go away
            stream.cancel()
        await asyncio.gather(*streams, return_exceptions=True)
        assert len(feeds) == 0
        assert source.flags == []
        return clients, slow

    clients, slow = asyncio.run(scenario())
    assert all(c.bodies == [frame(1), frame(2), frame(3), frame(4)] for c in clients)
    assert len({id(c.bodies[1]) for c in clients}) == 1  # the same bytes object went to every stream
    assert slow.bodies == [frame(1), frame(2), frame(4)]


def test_a_written_stream_keeps_alive_resumes_after_the_last_event_id_and_ends_after_max_s() -> None:
    source, feeds = Source(), Feeds()
    pace = Pace(keepalive_s=0.05, push_interval_s=0.0, max_s=0.4)

    def make() -> Feed:
        return Feed(source.changes, "score", source.read, pace)

    async def scenario() -> tuple[Client, Client]:
        fresh, resumed = Client(), Client()
        await asyncio.gather(
            broadcast(feeds, "k", make, None, fresh.send), broadcast(feeds, "k", make, "1", resumed.send)
        )
        return fresh, resumed

    fresh, resumed = asyncio.run(scenario())  # both end by themselves after max_s
    assert fresh.bodies[0] == frame(1).replace(b"board", b"score")
    assert resumed.bodies[0].startswith(b": resumed after event 1")
    for sent in (fresh.bodies, resumed.bodies):
        assert sent[1:] == [KEEP_ALIVE] * (len(sent) - 1)
        assert len(sent) >= 4
    assert len(feeds) == 0
