"""The load side of `gridscore bench-api`, in processes of its own: HTTP clients that read as browsers do
(keep-alive, If-None-Match with the ETag last seen), SSE clients that stamp every event, and a stub
server that answers at once (to measure the clients' own ceiling). Plain asyncio streams and the
standard library only, so a spawned process starts fast and no HTTP library sets the pace.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing import get_context
from typing import Any

PLAYERS_PER_CLIENT = 50  # each load client reads for this many players, each with its own ETag memory

# ---------------------------------------------------------------- the HTTP client (load process)


async def _request(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes
) -> tuple[int, dict[bytes, bytes], bytes]:
    """One HTTP/1.1 request on a keep-alive connection: status, headers (lower-cased), body."""
    writer.write(head)
    raw = await reader.readuntil(b"\r\n\r\n")
    lines = raw.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    headers: dict[bytes, bytes] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
    if b"content-length" in headers:
        body = await reader.readexactly(int(headers[b"content-length"]))
    elif headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        body = await _chunked(reader)
    elif status in (204, 304):
        body = b""
    else:
        raise ValueError(f"a {status} answer with no length")
    return status, headers, body


async def _chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


@dataclass
class LoadTally:
    latencies: list[float] = field(default_factory=list)
    ok: int = 0
    not_modified: int = 0
    errors: int = 0
    first_error: str | None = None

    def error(self, what: str) -> None:
        self.errors += 1
        self.first_error = self.first_error or what


async def _client(host: str, port: int, paths: list[str], token: str, until: float, tally: LoadTally) -> None:
    """One connection reading random players' pages in a loop; reconnects after a failure."""
    etags: dict[str, bytes] = {}
    rng = random.Random()
    auth = f"Authorization: Bearer {token}\r\n".encode() if token else b""
    while time.time() < until:
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError as exc:
            tally.error(f"connect: {exc}")
            await asyncio.sleep(0.1)
            continue
        try:
            while time.time() < until:
                path = rng.choice(paths)
                tag = etags.get(path)
                head = (
                    f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n".encode()
                    + auth
                    + (b"If-None-Match: " + tag + b"\r\n" if tag else b"")
                    + b"\r\n"
                )
                started = time.perf_counter()
                status, headers, body = await _request(reader, writer, head)
                tally.latencies.append(time.perf_counter() - started)
                if status == 200:
                    tally.ok += 1
                    if b"etag" in headers:
                        etags[path] = headers[b"etag"]
                elif status == 304:
                    tally.not_modified += 1
                else:
                    tally.error(f"{status} {path}: {body[:200]!r}")
                if headers.get(b"connection", b"").lower() == b"close":
                    break
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            tally.error(f"{type(exc).__name__}: {exc}")
        finally:
            writer.close()


def load_process(
    host: str, port: int, token: str, groups: list[list[str]], start_at: float, seconds: float
) -> dict[str, Any]:
    """In its own process: one client per path group from `start_at` for `seconds`."""

    async def main() -> LoadTally:
        tally = LoadTally()
        await asyncio.sleep(max(0.0, start_at - time.time()))
        until = start_at + seconds
        await asyncio.gather(*(_client(host, port, paths, token, until, tally) for paths in groups))
        return tally

    began = time.time()
    tally = asyncio.run(main())
    elapsed = max(1e-9, time.time() - max(began, start_at))
    ordered = sorted(tally.latencies)
    done = len(ordered)
    return {
        "requests": done,
        "req_per_s": round(done / elapsed, 1),
        "p50_ms": round(ordered[done // 2] * 1000, 2) if done else None,
        "p99_ms": round(ordered[min(done - 1, int(done * 0.99))] * 1000, 2) if done else None,
        "errors": tally.errors,
        "first_error": tally.first_error,
        "not_modified_share": round(tally.not_modified / done, 3) if done else 0.0,
    }


# ---------------------------------------------------------------- the client's own ceiling


async def _stub_server(port: int, ready: Any, seconds: float) -> None:
    body = b'{"stub": true}' * 40

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                if b"if-none-match" in head.lower():
                    writer.write(b'HTTP/1.1 304 Not Modified\r\netag: W/"s"\r\n\r\n')
                else:
                    writer.write(
                        b'HTTP/1.1 200 OK\r\netag: W/"s"\r\ncontent-length: %d\r\n\r\n' % len(body) + body
                    )
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", port)
    ready.set()
    async with server:
        await asyncio.sleep(seconds)


def stub_process(port: int, ready: Any, seconds: float) -> None:
    asyncio.run(_stub_server(port, ready, seconds))


# ---------------------------------------------------------------- SSE clients (their own process)


# An event's id line, then the blank line that ends the event (the stream's chunk-size lines aside).
_EVENT = re.compile(rb"(?m)^id: ?(\d+)\r?$.*?\n\r?\n", re.DOTALL)
_SSE_READ = 65536
LOOP_PROBE_S = 0.05  # an SSE process checks how late its event loop runs this often
OPEN_EVERY_S = 0.005  # early streams open this far apart (the API authorises each one)


async def _stream(
    host: str,
    port: int,
    path: str,
    token: str,
    got: list[tuple[float, int]],
    accepted: Callable[[], None],
) -> None:
    """One live stream: (receipt wall time, version) of every event until it is cancelled, `accepted`
    called when the server has answered (the stream is open from then on). It reads what has arrived in
    one go and finds the events in it (no line-by-line reads, no timer), so thousands of streams in one
    process stamp their events as they arrive."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
            "Accept: text/event-stream\r\n\r\n".encode()
        )
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        if status != 200:
            raise ValueError(f"stream answered {status}")
        accepted()
        pending = b""
        while True:
            chunk = await reader.read(_SSE_READ)
            if not chunk:
                raise ValueError("stream closed by the server")
            received, pending = time.time(), pending + chunk
            done = 0
            for event in _EVENT.finditer(pending):
                got.append((received, int(event[1])))
                done = event.end()
            pending = pending[done:]
    finally:
        writer.close()


def sse_process(
    host: str,
    port: int,
    path: str,
    token: str,
    clients: int,
    start_at: float | Callable[[], float],
    seconds: float,
) -> dict[str, Any]:
    """In its own process: `clients` streams, each one's events until `seconds` after the start. Given the
    start time, the streams open one after another before it; given a call that waits for it (an early
    job, `start_early`), they open at once, OPEN_EVERY_S apart, and the start comes later."""
    loop_lags: list[float] = []
    open_waits: list[float] = []  # from a stream's request to the server's answer
    events: list[list[tuple[float, int]]] = [[] for _ in range(clients)]
    opened: list[float] = [float("inf")] * clients  # when the server answered (never: inf)
    failures: list[str] = []

    async def one(i: int, delay_s: float) -> None:
        await asyncio.sleep(delay_s)
        asked = time.time()

        def accepted() -> None:
            opened[i] = time.time()
            open_waits.append(opened[i] - asked)

        try:
            await _stream(host, port, path, token, events[i], accepted)
        except (OSError, ValueError, asyncio.IncompleteReadError) as exc:
            failures.append(f"{type(exc).__name__}: {exc}")

    async def late_by(start: float, until: float) -> None:
        """How late this process's event loop wakes (each event is stamped when the loop gets to it)."""
        await asyncio.sleep(max(0.0, start - time.time()))
        while time.time() < until:
            asked = time.perf_counter()
            await asyncio.sleep(LOOP_PROBE_S)
            loop_lags.append(time.perf_counter() - asked - LOOP_PROBE_S)

    async def main() -> float:
        if callable(start_at):
            streams = [asyncio.create_task(one(i, i * OPEN_EVERY_S)) for i in range(clients)]
            start = await asyncio.get_running_loop().run_in_executor(None, start_at)
        else:
            start = start_at
            spread = max(0.0, start - time.time() - 1) / max(1, clients)
            streams = [asyncio.create_task(one(i, i * spread)) for i in range(clients)]
        until = start + seconds
        await late_by(start, until)
        await asyncio.sleep(max(0.0, until - time.time()))
        for stream in streams:
            stream.cancel()
        await asyncio.gather(*streams, return_exceptions=True)
        return start

    start = asyncio.run(main())
    return {
        "events": events,
        "opened": opened,
        "failed": len(failures),
        "first_failure": failures[0] if failures else None,
        "start_at": start,
        "loop_lags": loop_lags,
        "open_waits": open_waits,
    }


Job = Callable[..., dict[str, Any]]


def _child(job: Job, args: tuple[Any, ...], seconds: float, ready: Any, starts: Any, results: Any) -> None:
    ready.set()
    start_at = starts.get()
    results.put(job(*args, start_at, seconds))


def _early_child(
    job: Job, args: tuple[Any, ...], seconds: float, ready: Any, starts: Any, results: Any
) -> None:
    ready.set()
    results.put(job(*args, starts.get, seconds))


Started = list[tuple[str, Any, Any, Any, Any]]  # (name, process, ready, starts, results) of each job


def _spawn(jobs: dict[str, tuple[Job, tuple[Any, ...]]], seconds: float, early: bool) -> Started:
    context = get_context("spawn")
    started = []
    for name, (job, args) in jobs.items():
        ready, starts, results = context.Event(), context.Queue(), context.Queue()
        process = context.Process(
            target=_early_child if early else _child,
            args=(job, args, seconds, ready, starts, results),
            daemon=True,
        )
        process.start()
        started.append((name, process, ready, starts, results))
    return started


def start_early(jobs: dict[str, tuple[Job, tuple[Any, ...]]], seconds: float) -> Started:
    """Jobs that begin at once (streams that open while the race is being set up) and learn their start
    time from `launch` later: each is called with a function that waits for it."""
    return _spawn(jobs, seconds, early=True)


def launch(
    jobs: dict[str, tuple[Job, tuple[Any, ...]]], lead_s: float, seconds: float, early: Started | None = None
) -> dict[str, Any]:
    """Runs each job in a spawned process of its own, all from one start time `lead_s` after every one
    of them is up (imports done), with the `early` jobs already running, and returns all their results
    by name."""
    started = [*(early or []), *_spawn(jobs, seconds, early=False)]
    for name, _process, ready, *_ in started:
        if not ready.wait(120):
            raise RuntimeError(f"the {name} process did not start")
    start_at = time.time() + lead_s
    for _, _, _, starts, _ in started:
        starts.put(start_at)
    out = {}
    for name, process, _, _, results in started:
        out[name] = results.get(timeout=lead_s + seconds + 120)
        process.join(10)
    return out
