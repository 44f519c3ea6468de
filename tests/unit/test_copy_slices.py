"""store/roster_stream's slices are encoded on a thread of their own while the COPY goes on: they reach
the encoder whole and in order, an encoding error reaches the reader, and the thread stops either way."""

from __future__ import annotations

import threading

import pytest

from store import roster_stream
from store.roster_stream import _Slicer


def lines(count: int) -> bytes:
    return b"".join(b"%d,row\n" % i for i in range(count))


def test_slices_arrive_whole_in_order_on_another_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(roster_stream, "SLICE_BYTES", 50)
    seen: list[bytes] = []
    threads: set[str] = set()

    def use(text: bytes) -> None:
        threads.add(threading.current_thread().name)
        seen.append(text)

    data = lines(500)
    with _Slicer(use, lambda pending: pending.rfind(b"\n") + 1) as slicer:
        for start in range(0, len(data), 7):  # network reads cut anywhere
            slicer.take(data[start : start + 7])
        slicer.close()
    assert b"".join(seen) == data
    assert len(seen) > 10
    assert all(part.endswith(b"\n") for part in seen)
    assert threads
    assert threading.current_thread().name not in threads


def test_an_encoding_error_reaches_the_reader_and_the_thread_stops(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(roster_stream, "SLICE_BYTES", 50)

    def use(text: bytes) -> None:
        if b"37," in text:
            raise ValueError("bad row 37")

    def read() -> None:
        with _Slicer(use, lambda p: p.rfind(b"\n") + 1) as slicer:
            slicer.take(lines(200))
            for _ in range(20):  # later slices: the error comes out at the latest on close
                slicer.take(lines(10))
            slicer.close()

    before = threading.active_count()
    with pytest.raises(ValueError, match="bad row 37"):
        read()
    assert threading.active_count() == before
