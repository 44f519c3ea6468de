"""Ready answers of hot reads, kept per process for the live state they are of.

A document is the JSON bytes of a read (and their gzip), with a strong ETag made of the live state's
tag and a hash of those bytes. It is filled once per (key, state): callers that miss together await the
one fill (single flight), and a read of an unchanged state is a dictionary lookup. A document also ages
out after `max_age_s`, because a read may carry what Postgres said (names, a chip) besides the live
state; `forget` drops every document at once (after a write in this process).
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass

MAX_DOCUMENTS = 50_000  # per process; the oldest go first (a race's hot pages are a few hundred)
GZIP_FROM = 500  # bytes, as the API's compression (api/lib/http_cache.py)


@dataclass(frozen=True, slots=True)
class Document:
    body: bytes
    etag: str
    gzipped: bytes | None  # None: too small to be worth it

    @classmethod
    def of(cls, body: bytes, state_tag: str) -> Document:
        digest = hashlib.blake2b(body, digest_size=8).hexdigest()
        gzipped = gzip.compress(body, compresslevel=6, mtime=0) if len(body) >= GZIP_FROM else None
        return cls(body, f'"{state_tag}-{digest}"', gzipped)

    def matches(self, if_none_match: str | None) -> bool:
        """Whether a client's If-None-Match names this document (either encoding's tag)."""
        if not if_none_match:
            return False
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return "*" in tags or self.etag in tags or self.gzip_etag in tags

    @property
    def gzip_etag(self) -> str:
        return self.etag[:-1] + '-gz"'


@dataclass(slots=True)
class _Entry:
    state: Hashable
    filled_at: float
    fill: asyncio.Task[Document]


class DocumentCache:
    def __init__(self, max_age_s: float, max_documents: int = MAX_DOCUMENTS) -> None:
        self.max_age_s = max_age_s
        self.max_documents = max_documents
        self._entries: dict[Hashable, _Entry] = {}
        self.fills = 0  # documents made (for tests and benchmarks)

    async def get(
        self, key: Hashable, state: Hashable, state_tag: str, read: Callable[[], Awaitable[bytes]]
    ) -> Document:
        """The document of `key` at `state`, reading it (once, whoever else asks meanwhile) if needed.
        A failed read is not kept: its error goes to everyone who waited for it."""
        now = time.monotonic()
        entry = self._entries.get(key)
        fresh = entry is not None and entry.state == state and now - entry.filled_at < self.max_age_s
        if entry is not None and fresh and (not entry.fill.done() or entry.fill.exception() is None):
            if entry.fill.done():  # a hit: no shield (a future and a callback per read) to wait for nothing
                return entry.fill.result()
            return await asyncio.shield(entry.fill)
        # A task of its own: a caller that goes away (a closed connection) cancels no one else's read.
        fill = asyncio.create_task(self._fill(read, state_tag))
        self._put(key, _Entry(state, now, fill))
        try:
            return await asyncio.shield(fill)
        except Exception:
            current = self._entries.get(key)
            if current is not None and current.fill is fill:
                del self._entries[key]
            raise

    async def _fill(self, read: Callable[[], Awaitable[bytes]], state_tag: str) -> Document:
        document = Document.of(await read(), state_tag)
        self.fills += 1
        return document

    def forget(self) -> None:
        """Drop every document (a write in this process may have changed what they say)."""
        self._entries.clear()

    def _put(self, key: Hashable, entry: _Entry) -> None:
        self._entries.pop(key, None)  # re-inserted last: the dictionary's order is the age order
        self._entries[key] = entry
        while len(self._entries) > self.max_documents:
            del self._entries[next(iter(self._entries))]
