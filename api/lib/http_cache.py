"""Validators and compression for reads.

- Every successful GET answer (not a live stream) carries a weak ETag, a hash of its content, and a
  Cache-Control: `private, no-cache` when the request was authenticated (only that player may keep it),
  `public, no-cache` otherwise. `no-cache` makes clients revalidate, which costs a 304 with no body when
  nothing changed (`If-None-Match`).
- Bodies of 500 bytes and more are gzipped when the client accepts it (Litestar's compression); the tag is
  of the content before gzip, whose bytes vary with the time. Live streams are left alone: their events
  must not wait in a compressor's buffer.
"""

from __future__ import annotations

import gzip
import hashlib
from typing import cast

from litestar.config.compression import CompressionConfig
from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, HTTPResponseStartEvent, Message, Receive, Scope, Send

STREAMS = r"^/api/live/(leagues|teams|notifications|sessions)"  # server-sent events
# Hot reads come ready: their own strong ETag, 304 and gzip (api/domain/standings/hot.py).
READY = r"^/api/(leagues/\d+/leaderboard|teams/\d+/score)"
_READS = frozenset({"GET", "HEAD"})
_DROPPED_ON_304 = ("content-length", "content-type", "content-encoding")


def compression() -> CompressionConfig:
    return CompressionConfig(
        backend="gzip", minimum_size=500, gzip_compress_level=6, exclude=[STREAMS, READY]
    )


def etag_of(body: bytes, encoding: str | None) -> str:
    """A weak tag of the content, the same whether or not it was gzipped (gzip output varies with time)."""
    content = gzip.decompress(body) if encoding == "gzip" else body
    return 'W/"' + hashlib.blake2b(content, digest_size=16).hexdigest() + '"'


def _matches(if_none_match: str, etag: str) -> bool:
    tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in tags or etag.removeprefix("W/") in tags  # weak comparison (RFC 9110 13.1.2)


def _request_headers(scope: Scope) -> dict[str, str]:
    """Only for an answer this middleware validates: the hot reads come with their own ETag and pass."""
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


class ValidatorMiddleware:
    """Adds ETag and Cache-Control to successful reads and answers 304 to a matching If-None-Match. The
    answer is held until its last chunk (reads are small and paginated); streams pass straight through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") not in _READS:
            await self.app(scope, receive, send)
            return
        start: HTTPResponseStartEvent | None = None
        chunks: list[bytes] = []
        passing = False

        async def hold(message: Message) -> None:
            nonlocal start, passing
            if passing:
                await send(message)
                return
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders(message)
                streamed = "text/event-stream" in (headers.get("content-type") or "")
                if message["status"] != 200 or streamed or "etag" in headers:  # or it came with its own
                    passing = True
                    await send(message)
                    return
                start = cast(HTTPResponseStartEvent, dict(message))
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            await self._answer(start, b"".join(chunks), _request_headers(scope), send)

        await self.app(scope, receive, hold)

    @staticmethod
    async def _answer(
        start: HTTPResponseStartEvent, body: bytes, request: dict[str, str], send: Send
    ) -> None:
        headers = MutableScopeHeaders(start)
        etag = etag_of(body, headers.get("content-encoding"))
        headers["etag"] = etag
        if not headers.get("cache-control"):
            private = "authorization" in request
            headers["cache-control"] = "private, no-cache" if private else "public, no-cache"
        if _matches(request.get("if-none-match", ""), etag):
            for name in _DROPPED_ON_304:
                if name in headers:
                    del headers[name]
            await send(cast(HTTPResponseStartEvent, {**start, "status": 304}))
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        await send(start)
        await send({"type": "http.response.body", "body": body, "more_body": False})
