"""The hot reads' document cache (api/lib/documents.py): one read per (key, state) however many ask at
once, a new state read anew, a failed read kept by no one, and the ETag and 304 rules."""

from __future__ import annotations

import asyncio
import gzip

from api.lib.documents import Document, DocumentCache


def test_concurrent_misses_share_one_read_and_a_new_state_reads_again() -> None:
    reads: list[str] = []

    async def scenario() -> list[Document]:
        cache = DocumentCache(max_age_s=60)
        gate = asyncio.Event()

        async def read() -> bytes:
            reads.append("read")
            await gate.wait()  # every other caller arrives while this read is under way
            return b'{"state": %d}' % len(reads)

        waiting = [asyncio.create_task(cache.get("page", 1, "1.1.1", read)) for _ in range(100)]
        await asyncio.sleep(0)
        gate.set()
        same = await asyncio.gather(*waiting)
        again = await cache.get("page", 1, "1.1.1", read)
        moved = await cache.get("page", 2, "2.2.2", read)
        return [*same, again, moved]

    documents = asyncio.run(scenario())
    assert reads == ["read", "read"]  # one for state 1 (101 callers), one for state 2
    assert {d.body for d in documents[:101]} == {b'{"state": 1}'}
    assert documents[-1].body == b'{"state": 2}'
    assert documents[0].etag != documents[-1].etag


def test_a_failed_read_reaches_every_waiter_and_is_not_kept() -> None:
    calls = 0

    async def scenario() -> Document:
        cache = DocumentCache(max_age_s=60)

        async def failing() -> bytes:
            nonlocal calls
            calls += 1
            await asyncio.sleep(0)
            raise LookupError("none yet")

        results = await asyncio.gather(
            *(cache.get("score", 1, "1.0.0", failing) for _ in range(5)), return_exceptions=True
        )
        assert all(isinstance(r, LookupError) for r in results)

        async def working() -> bytes:
            return b"{}"

        return await cache.get("score", 1, "1.0.0", working)

    assert asyncio.run(scenario()).body == b"{}"
    assert calls == 1


def test_a_strong_etag_of_the_state_and_the_bytes_matches_either_encoding() -> None:
    body = b'{"rows": "' + b"x" * 600 + b'"}'
    document = Document.of(body, "7.7.6")
    assert document.etag.startswith('"7.7.6-')
    assert not document.etag.startswith("W/")
    assert document.gzipped is not None
    assert gzip.decompress(document.gzipped) == body
    assert document.matches(document.etag)
    assert document.matches(f'"other", W/{document.gzip_etag}')
    assert document.matches("*")
    assert not document.matches(None)
    assert not document.matches(Document.of(body + b" ", "7.7.6").etag)
    assert Document.of(b"{}", "1.1.1").gzipped is None  # too small to be worth it


def test_a_document_older_than_its_max_age_is_read_again() -> None:
    reads = 0

    async def scenario() -> None:
        cache = DocumentCache(max_age_s=0.0)  # every document is already too old

        async def read() -> bytes:
            nonlocal reads
            reads += 1
            return b"{}"

        await cache.get("page", 1, "1.1.1", read)
        await cache.get("page", 1, "1.1.1", read)

    asyncio.run(scenario())
    assert reads == 2
